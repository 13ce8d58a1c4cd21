"""NormGen: ShuffleGen's shape with per-image normalisation, for teachers that repaint the frame.

Real style teachers (Magenta's multi-style network, fast-neural-style nets, CycleGANs) normalise every
feature map per image (instance norm): what they draw at a pixel depends on the whole frame's statistics.
A plain conv student sees only its receptive field and cannot imitate that, and ShuffleGen's residual on
the input suits filters near the identity, not a style that repaints. NormGen keeps what makes ShuffleGen
fast on CPUs and mobile delegates and changes two things:
- every conv is followed by an instance norm (affine), so the student computes the same kind of global
  statistics as its teacher, at 1/4 resolution where they are cheap;
- the pixel-shuffled head draws the output (tanh) instead of adding a residual to the input.
A patchify stem (4x4 conv, stride 4) and residual pairs of dense 3x3 convs at 1/4 resolution; ops:
Conv, InstanceNormalization, Relu, Add, DepthToSpace, Tanh.
Name scheme: normgen_t_050 = family "normgen", size (t/f/s: 4/5/6 blocks), width x100 of 64 channels.
"""

from __future__ import annotations

import torch
from torch import nn

from stylelite.models.registry import register_student
from stylelite.models.shufflegen import STRIDE, channels_for_width
from stylelite.models.shufflegen import _card as shufflegen_card
from stylelite.models.taps import FeatureTapsMixin
from stylelite.models.tensors import pad_to_multiple


class NormPair(nn.Module):
    """conv-IN-ReLU-conv-IN, added to the input."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(ch, ch, 3, padding=1)
        self.norm1 = nn.InstanceNorm2d(ch, affine=True)
        self.act = nn.ReLU()
        self.conv2 = nn.Conv2d(ch, ch, 3, padding=1)
        self.norm2 = nn.InstanceNorm2d(ch, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.norm2(self.conv2(self.act(self.norm1(self.conv1(x)))))


class NormGen(FeatureTapsMixin, nn.Module):
    """Image-to-image student; inputs and outputs RGB in [-1, 1]; stride 4."""

    stride = STRIDE

    def __init__(self, channels: int = 32, n_blocks: int = 4, residual: bool = False) -> None:
        super().__init__()
        self.residual = residual  # add the head's output to the input (ShuffleGen's way) instead of drawing it
        if channels % 8 or n_blocks < 1:
            raise ValueError("NormGen wants channels a multiple of 8 and at least one block")
        self.stem = nn.Sequential(
            nn.Conv2d(3, channels, STRIDE, stride=STRIDE), nn.InstanceNorm2d(channels, affine=True), nn.ReLU()
        )  # [B,C,H/4,W/4]
        self.blocks = nn.Sequential(*[NormPair(channels) for _ in range(n_blocks)])
        self.head = nn.Conv2d(channels, 3 * STRIDE * STRIDE, 3, padding=1)  # [B,48,H/4,W/4]
        self.shuffle = nn.PixelShuffle(STRIDE)  # [B,3,H,W]
        self.feature_taps = {
            "down": "stem",
            "mid": f"blocks.{max(n_blocks // 2 - 1, 0)}",
            "deep": f"blocks.{n_blocks - 1}",
        }

    def forward_core(self, x: torch.Tensor) -> torch.Tensor:
        """The exported graph: H and W must be multiples of 4."""
        out = self.shuffle(self.head(self.blocks(self.stem(x))))
        return torch.clamp(x + out, -1.0, 1.0) if self.residual else torch.tanh(out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Any H x W: pad to the stride (and to 8 px, so that instance norm sees more than one value at 1/4
        resolution), run, crop back."""
        h, w = x.shape[-2:]
        if h < 2 * STRIDE or w < 2 * STRIDE:
            x = nn.functional.pad(x, (0, max(0, 2 * STRIDE - w), 0, max(0, 2 * STRIDE - h)), mode="replicate")
        if x.shape[-2] % STRIDE or x.shape[-1] % STRIDE:
            x, _, _ = pad_to_multiple(x, STRIDE)
        if x.shape[-2:] != (h, w):
            return self.forward_core(x)[..., :h, :w]
        return self.forward_core(x)


def _card(width: float, n_blocks: int) -> dict:
    return shufflegen_card(width, n_blocks, family="normgen", norm="instance")


@register_student(**_card(0.5, 4))
def normgen_t_050() -> NormGen:
    """32 channels, 4 blocks (0.36 GMAC at 256x256): per-image normalised, draws its output; the student
    of teachers that repaint the frame (instance-norm style networks, CycleGANs)."""
    return NormGen(channels_for_width(0.5), 4)


@register_student(**_card(0.5, 5))
def normgen_f_050() -> NormGen:
    """32 channels, 5 blocks (0.44 GMAC at 256x256)."""
    return NormGen(channels_for_width(0.5), 5)


@register_student(**_card(0.5, 6))
def normgen_s_050() -> NormGen:
    """32 channels, 6 blocks (0.52 GMAC at 256x256)."""
    return NormGen(channels_for_width(0.5), 6)


@register_student(**shufflegen_card(0.5, 4, family="normres", norm="instance", output="input + residual"))
def normres_t_050() -> NormGen:
    """normgen_t_050 whose head adds to the input, as ShuffleGen's does (0.36 GMAC at 256x256): per-image
    statistics for a teacher that normalises per image, the input's detail for one that grades more than it
    repaints (a CycleGAN photo filter)."""
    return NormGen(channels_for_width(0.5), 4, residual=True)
