"""ShuffleGen: students built for the silicon.

MobileGen saves MACs with depthwise convolutions and thin full-resolution layers, but on CPUs
(and most mobile delegates) those layers are memory-bound: the demo student reaches about a third
of the GMAC/s that the same runtime reaches on dense 3x3 convolutions. ShuffleGen spends its
MACs where the kernels are efficient instead:

- a patchify stem (4x4 conv, stride 4; space-to-depth folded into one dense conv) takes the frame
  straight to 1/4 resolution;
- all the work is residual pairs of dense 3x3 convs at 1/4 resolution with channel counts that
  are multiples of 8 (ReLU fused into the conv by every runtime);
- a 3x3 head predicts 48 channels that a pixel shuffle (DepthToSpace) turns into the full-
  resolution residual, added to the input and clipped: nothing else touches full resolution.

The global skip starts training at the identity, so colours begin right rather than learned.
Ops: Conv, Relu, Add, DepthToSpace, Clip (plus Pad for odd sizes in torch only) - all native in
ONNX Runtime, TFLite, XNNPACK, NNAPI and the GPU delegates.

Name scheme: shufflegen_s_050 = family "shufflegen", size (t/f/s/m: 4/5/6/6 blocks), width x100 of 64 channels;
a "_sk" suffix adds a learned filter on the skip (SkipFilter): on textured footage (leaves in wind) the plain skip
passes texture finer than the 1/4-resolution body straight to the output, where a cartoon teacher paints it flat.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from stylelite.models.registry import register_student
from stylelite.models.taps import FeatureTapsMixin
from stylelite.models.tensors import pad_to_multiple

STRIDE = 4
BLOCK_POINTS = ("hidden", "branch", "stream")  # a residual pair's bounded tensors: after ReLU, conv2, the add


def _bound(t: torch.Tensor, bounds: tuple[float, float] | None) -> torch.Tensor:
    """`t` clipped to `bounds` (one ONNX Clip with constant limits), or `t` itself when there are none."""
    return t if bounds is None else torch.clamp(t, bounds[0], bounds[1])


class ResidualPair(nn.Module):
    """Two dense 3x3 convs with a ReLU between them, added to the input."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.act = nn.ReLU()
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)
        # Residual scaling at init (EDSR): each block starts near the identity, so a deep stack
        # without normalization trains stably.
        with torch.no_grad():
            self.conv2.weight.mul_(0.1)
            self.conv2.bias.zero_()
        self.bounds: dict[str, tuple[float, float]] = {}  # "hidden", "branch", "stream": see ShuffleGen

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = _bound(self.act(self.conv1(x)), self.bounds.get("hidden"))
        return _bound(x + _bound(self.conv2(a), self.bounds.get("branch")), self.bounds.get("stream"))


class SkipFilter(nn.Module):
    """A learned depthwise size x size filter on the full-resolution skip (reflect padding), started at the identity.

    The kernel is stored divided by GAIN so that Adam at a fine-tune's learning rate (1e-4) can move it. `offset`
    is a per-colour constant, not trained: zero, unless the [0, 1]-pixel fold (models/unit_range.py) put the range
    shift there.
    """

    GAIN = 10.0

    def __init__(self, size: int) -> None:
        super().__init__()
        if size < 3 or size % 2 == 0:
            raise ValueError(f"the skip filter wants an odd size of at least 3, got {size}")
        kernel = torch.zeros(3, 1, size, size)
        kernel[:, 0, size // 2, size // 2] = 1.0 / self.GAIN
        self.kernel = nn.Parameter(kernel)
        self.register_buffer("offset", torch.zeros(3))

    def weight(self) -> torch.Tensor:
        """The kernel as applied, [3, 1, size, size]."""
        return self.kernel * self.GAIN

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = self.kernel.shape[-1] // 2
        return F.conv2d(F.pad(x, (p, p, p, p), mode="reflect"), self.weight(), self.offset, groups=3)


class ShuffleGen(FeatureTapsMixin, nn.Module):
    """Image-to-image student; inputs and outputs RGB in [-1, 1]; stride 4."""

    stride = STRIDE

    def __init__(self, channels: int = 32, n_blocks: int = 6, skip_filter: int = 0) -> None:
        super().__init__()
        if channels % 8 or n_blocks < 1:
            raise ValueError("ShuffleGen wants channels a multiple of 8 and at least one block")
        self.stem = nn.Sequential(nn.Conv2d(3, channels, STRIDE, stride=STRIDE), nn.ReLU())  # [B,C,H/4,W/4]
        self.blocks = nn.Sequential(*[ResidualPair(channels) for _ in range(n_blocks)])
        self.head = nn.Conv2d(channels, 3 * STRIDE * STRIDE, 3, padding=1)  # [B,48,H/4,W/4]
        self.shuffle = nn.PixelShuffle(STRIDE)  # [B,3,H,W]
        self.skip = SkipFilter(skip_filter) if skip_filter else None  # None: the input itself
        with torch.no_grad():  # start at the identity: output = input
            self.head.weight.mul_(0.01)
            self.head.bias.zero_()
        # Activation bounds (none by default): the int8 ranges that range-learning QAT chose
        # (distill/range_qat.py). They are part of the model, in fp32 too, so the int8 artifact and its fp32 self
        # compute the same function up to rounding; the exporter quantizes each bounded tensor on exactly them.
        self.bounds: dict[str, tuple[float, float]] = {}
        # the pixels' range in and out; (0, 1) only in int8 exports (models/unit_range.py: exact uint8 grids)
        self.pixel_range: tuple[float, float] = (-1.0, 1.0)
        self.feature_taps = {
            "down": "stem",
            "mid": f"blocks.{max(n_blocks // 2 - 1, 0)}",
            "deep": f"blocks.{n_blocks - 1}",
        }

    def forward_core(self, x: torch.Tensor) -> torch.Tensor:
        """The exported graph: H and W must be multiples of 4."""
        h = self.blocks(_bound(self.stem(x), self.bounds.get("stem")))
        head = _bound(self.head(h), self.bounds.get("head"))
        if getattr(self.skip, "pre_shuffle", False):  # the filter folded into the head's channels (skip_fold.py)
            return self.shuffle(torch.clamp(_bound(self.skip(x), self.bounds.get("skip")) + head, *self.pixel_range))
        return torch.clamp(self.skipped(x) + self.shuffle(head), *self.pixel_range)

    def skipped(self, x: torch.Tensor) -> torch.Tensor:
        """What the residual is added to: the input, or the input through the skip filter (bounded)."""
        return x if self.skip is None else _bound(self.skip(x), self.bounds.get("skip"))

    def complete_state(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """`state` with the skip filter at the identity where it has none: a plain ShuffleGen's weights start the
        same student with a filter, computing the same picture."""
        if self.skip is None:
            return state
        start = {"skip.kernel": self.skip.kernel, "skip.offset": torch.zeros(3)}
        return {**{k: v.detach().clone() for k, v in start.items() if k not in state}, **state}

    def activation_bounds(self) -> dict[str, list[float]]:
        """The bounds by point ("stem", "blocks.K.hidden|branch|stream", "head", "skip"); {} for a plain student."""
        out = {k: list(v) for k, v in self.bounds.items()}
        for i, block in enumerate(self.blocks):
            out.update({f"blocks.{i}.{k}": list(v) for k, v in block.bounds.items()})
        return out

    def set_activation_bounds(self, bounds: dict[str, list[float]]) -> None:
        """Clip these points to (lo, hi) from now on, in training, inference and export."""
        points = {"stem", "head"} | ({"skip"} if self.skip is not None else set())
        points |= {f"blocks.{i}.{k}" for i in range(len(self.blocks)) for k in BLOCK_POINTS}
        unknown = sorted(set(bounds) - points)
        if unknown:
            raise ValueError(f"activation bounds for points this student lacks: {', '.join(unknown[:4])}")
        for name, pair in bounds.items():
            lo, hi = (float(v) for v in pair)
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise ValueError(f"activation bounds of {name}: need finite low < high, got {lo}, {hi}")
            if name.startswith("blocks."):
                _, i, point = name.split(".")
                self.blocks[int(i)].bounds[point] = (lo, hi)
            else:
                self.bounds[name] = (lo, hi)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Any H x W: reflect-pad to the stride, run, crop back."""
        if x.shape[-2] % STRIDE or x.shape[-1] % STRIDE:
            xp, h, w = pad_to_multiple(x, STRIDE)
            return self.forward_core(xp)[..., :h, :w]
        return self.forward_core(x)


def channels_for_width(width: float) -> int:
    return int(round(64 * width / 8)) * 8


def _card(width: float, n_blocks: int, family: str = "shufflegen", **notes) -> dict:
    """The card of a ShuffleGen-shaped student of `width` and `n_blocks` (its name is the registered function's);
    `notes` go into the card's extra (for people, never read as a capability)."""
    return dict(
        family=family,
        stride=STRIDE,
        resolution=256,
        source="stylelite (distilled)",
        license="same as the teacher it was distilled from",
        extra={"width": width, "channels": channels_for_width(width), "blocks": n_blocks, **notes},
    )


@register_student(**_card(0.375, 4))
def shufflegen_t_038() -> ShuffleGen:
    """24 channels, 4 blocks (0.22 GMAC at 256x256): the fastest."""
    return ShuffleGen(channels_for_width(0.375), 4)


@register_student(**_card(0.5, 4))
def shufflegen_t_050() -> ShuffleGen:
    """32 channels, 4 blocks (0.36 GMAC at 256x256): f_050 less one block, for 30 fps at 640x480 on two cores
    with headroom (its shipped weights start from f_050's with a block dropped)."""
    return ShuffleGen(channels_for_width(0.5), 4)


@register_student(**_card(0.5, 4, skip_filter=5))
def shufflegen_t_050_sk() -> ShuffleGen:
    """shufflegen_t_050 with a learned 5x5 filter on its skip (75 weights; 0.36 GMAC at 256x256): the fastest
    student's shape for textured footage, where the plain skip keeps the leaves' texture the teacher paints flat."""
    return ShuffleGen(channels_for_width(0.5), 4, skip_filter=5)


@register_student(**_card(0.5, 5))
def shufflegen_f_050() -> ShuffleGen:
    """32 channels, 5 blocks (0.44 GMAC at 256x256): s_050 less one block, for about 30 fps at 640x480 on two
    cores where s_050 falls short (its shipped weights start from s_050's with a block dropped)."""
    return ShuffleGen(channels_for_width(0.5), 5)


@register_student(**_card(0.5, 6))
def shufflegen_s_050() -> ShuffleGen:
    """32 channels, 6 blocks (0.52 GMAC at 256x256): 27-32 fps at 640x480 on two CPU cores, by CPU."""
    return ShuffleGen(channels_for_width(0.5), 6)


@register_student(**_card(0.75, 6))
def shufflegen_m_075() -> ShuffleGen:
    """48 channels, 6 blocks (1.11 GMAC at 256x256): the quality end."""
    return ShuffleGen(channels_for_width(0.75), 6)
