"""Range-learning QAT for ShuffleGen: fake quantization that mirrors the exporter's int8, with learned ranges.

`--qat-engine ranges` trains the student through a simulation of exactly what `stylelite export --int8`
does to it: the channel ranges equalized first (models/equalize.py), pixels exact on [0, 1] grids
(models/unit_range.py), weights int8 per-channel symmetric with the exporter's 7-bit range, and every
activation tensor that onnxruntime's QDQ quantizer quantizes (the stem, each pair's hidden layer, its branch
and the residual stream after the add, the head, a skip filter's output) rounded to uint8 on a per-tensor
range. The ranges start at the calibration minima and maxima and are learned with the weights (PACT's
clipping gradient with a straight-through rounding), so the student trades rare outliers for finer steps
everywhere else. Measured on the shipped 6-block student, the unequalized PTQ loss was
spread over these tensors and largest on the late residual stream (docs/measurements/precision.md).

The learned ranges become the student's activation bounds (ShuffleGen.set_activation_bounds): Clip ops in
every export, fp32 included, so the int8 artifact and its fp32 self compute the same function up to
rounding, and the exporter quantizes each bounded tensor on exactly its bounds.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from stylelite.models.skip_fold import WEIGHT_LEVELS, gain_kept_rounding
from stylelite.runtime.errors import ConfigError

ACT_LEVELS = 255  # uint8 activations
# Adam moves a parameter by about lr per step whatever its gradient, so at a fine-tune's lr (1e-4) a range of
# several units would take thousands of steps to settle: the ranges are stored divided by this gain.
RANGE_GAIN = 10.0


def _round_ste(x: torch.Tensor) -> torch.Tensor:
    return x + (torch.round(x) - x).detach()


class RangeQuantizer(nn.Module):
    """uint8 per-tensor fake quantization on a learned range [lo, hi] that contains 0 (as onnxruntime's)."""

    def __init__(self, relu: bool = False) -> None:
        super().__init__()
        self.lo_scaled = nn.Parameter(torch.tensor(0.0))  # lo / RANGE_GAIN
        self.hi_scaled = nn.Parameter(torch.tensor(1.0 / RANGE_GAIN))
        self.relu = relu  # the tensor follows a ReLU: its low end stays 0
        self.observing = False

    @property
    def lo(self) -> torch.Tensor:
        return self.lo_scaled * RANGE_GAIN

    @property
    def hi(self) -> torch.Tensor:
        return self.hi_scaled * RANGE_GAIN

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.observing:
            with torch.no_grad():
                self.lo_scaled.copy_(torch.minimum(self.lo, x.min()) / RANGE_GAIN)
                self.hi_scaled.copy_(torch.maximum(self.hi, x.max()) / RANGE_GAIN)
            return x
        lo = torch.zeros_like(self.lo) if self.relu else torch.clamp(self.lo, max=0.0)
        hi = torch.clamp(self.hi, min=1e-3)
        scale = (hi - lo) / ACT_LEVELS
        zero = torch.round(-lo / scale).detach()
        y = torch.minimum(torch.maximum(x, lo), hi)  # gradients reach lo and hi where x is clipped (PACT)
        q = torch.clamp(_round_ste(y / scale) + zero, 0, ACT_LEVELS)
        return (q - zero) * scale

    def bounds(self) -> list[float]:
        with torch.no_grad():
            lo = 0.0 if self.relu else min(self.lo.item(), 0.0)
            return [lo, max(self.hi.item(), 1e-3)]


def _fake_weight(w: torch.Tensor) -> torch.Tensor:
    """Per-output-channel symmetric int8 (the exporter's scale: the channel's largest magnitude)."""
    scale = w.detach().abs().amax(dim=(1, 2, 3), keepdim=True).clamp(min=1e-8) / WEIGHT_LEVELS
    return torch.clamp(_round_ste(w / scale), -WEIGHT_LEVELS, WEIGHT_LEVELS) * scale


def _folded_stem(stem: nn.Conv2d) -> tuple[torch.Tensor, torch.Tensor]:
    """The stem's rounded weights and the bias the export gives it on [-1, 1]: it folds the stem to [0, 1] pixels
    (bias b - sum W) before rounding W, which on [-1, 1] moves the bias by sum (Wq - W) per channel."""
    wq = _fake_weight(stem.weight)
    return wq, stem.bias + (wq - stem.weight).sum(dim=(1, 2, 3))


class RangeQAT(nn.Module):
    """A ShuffleGen run as its int8 export runs it; `net` holds the float weights being trained."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net
        n = len(net.blocks)
        self.q_stem = RangeQuantizer(relu=True)
        self.q_hidden = nn.ModuleList(RangeQuantizer(relu=True) for _ in range(n))
        self.q_branch = nn.ModuleList(RangeQuantizer() for _ in range(n))
        self.q_stream = nn.ModuleList(RangeQuantizer() for _ in range(n))
        self.q_head = RangeQuantizer()
        # a skip filter's output (a depthwise conv) is quantized too; simulated on the [0, 1] pixels the export
        # folds to (models/unit_range.py), where its uint8 grid has zero point 0 as the exporter's has
        self.q_skip = RangeQuantizer() if net.skip is not None else None
        # no quantizer on the image in or out: the export folds ShuffleGen to [0, 1] pixels, whose uint8 grid
        # holds every byte exactly (models/unit_range.py), so the output is rounded only to bytes, as in float

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        if any(k.startswith((prefix + "q_input.", prefix + "q_output.")) for k in state_dict):
            raise ConfigError(  # its optimizer state holds those ranges too, so it cannot go on without them
                "this range-QAT run was saved by the older simulation (image quantizers, before the [0, 1]-pixel "
                "export) and cannot resume: start a new run with the same command"
            )
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _conv(self, conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, _fake_weight(conv.weight), conv.bias, conv.stride, conv.padding)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from stylelite.models.tensors import pad_to_multiple

        stride = self.net.stride
        if x.shape[-2] % stride or x.shape[-1] % stride:
            xp, h, w = pad_to_multiple(x, stride)
            return self._core(xp)[..., :h, :w]
        return self._core(x)

    def forward_features(self, x: torch.Tensor, call=None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """(output, {}): the simulation has no feature taps (the config refuses --w-feature with this engine)."""
        return (call or self)(x), {}

    def _core(self, x: torch.Tensor) -> torch.Tensor:
        net = self.net
        stem = net.stem[0]
        wq, bias = _folded_stem(stem)
        h = self.q_stem(F.relu(F.conv2d(x, wq, bias, stem.stride, stem.padding)))
        for i, block in enumerate(net.blocks):
            a = self.q_hidden[i](F.relu(self._conv(block.conv1, h)))
            h = self.q_stream[i](h + self.q_branch[i](self._conv(block.conv2, a)))
        residual = net.shuffle(self.q_head(self._conv(net.head, h)))
        return torch.clamp(self._skip(x) + residual, -1.0, 1.0)

    def _skip(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.net.skip
        if skip is None:
            return x
        # the ONNX int8 export runs the filter as an int8 conv, its kernel rounded keeping each colour's gain
        # (models/skip_fold.py); its output is quantized
        p = skip.kernel.shape[-1] // 2
        kernel = skip.weight()
        kernel = kernel + (gain_kept_rounding(kernel.detach()) - kernel).detach()
        filtered = F.conv2d(F.pad(x, (p, p, p, p), mode="reflect"), kernel, skip.offset, groups=3)
        return self.q_skip((filtered + 1) / 2) * 2 - 1

    @torch.no_grad()
    def int8_grid_state(self) -> dict[str, torch.Tensor]:
        """The trained weights rounded to the int8 grid the export rounds them to (its per-channel scale is kept:
        a rounded channel's largest weight is its own), so the float student computes what its int8 artifact
        computes up to activation rounding. A skip filter's kernel is rounded as the export rounds it too."""
        state = dict(self.net.state_dict())
        for name, m in self.net.named_modules():
            if isinstance(m, nn.Conv2d):
                state[f"{name}.weight"] = _fake_weight(m.weight)
        if self.net.skip is not None:  # stored divided by its gain (models/shufflegen.py SkipFilter)
            state["skip.kernel"] = gain_kept_rounding(self.net.skip.weight()) / self.net.skip.GAIN
        _, state["stem.0.bias"] = _folded_stem(self.net.stem[0])  # what the simulation adds becomes its bias
        return state

    @torch.no_grad()
    def calibrate(self, batches: list[torch.Tensor]) -> None:
        """Start every range at the calibration batches' minimum and maximum (onnxruntime's MinMax)."""
        quantizers = [m for m in self.modules() if isinstance(m, RangeQuantizer)]
        for q in quantizers:
            q.lo_scaled.fill_(0.0)
            q.hi_scaled.fill_(0.0)
            q.observing = True
        try:
            for b in batches:
                self(b)
        finally:
            for q in quantizers:
                q.observing = False

    def activation_bounds(self) -> dict[str, list[float]]:
        """The learned ranges as ShuffleGen activation bounds (input and output are [-1, 1] by design)."""
        out = {"stem": self.q_stem.bounds(), "head": self.q_head.bounds()}
        for i in range(len(self.net.blocks)):
            out[f"blocks.{i}.hidden"] = self.q_hidden[i].bounds()
            out[f"blocks.{i}.branch"] = self.q_branch[i].bounds()
            out[f"blocks.{i}.stream"] = self.q_stream[i].bounds()
        if self.q_skip is not None:  # learned on [0, 1] pixels, given back on the student's [-1, 1]
            out["skip"] = [2 * v - 1 for v in self.q_skip.bounds()]
        return out


def prepare_range_qat(model: nn.Module, calibration: list[torch.Tensor]) -> RangeQAT:
    """Equalize `model`'s channel ranges, wrap it in the int8 simulation and calibrate the ranges."""
    from stylelite.models.equalize import equalizable, equalize_on_batches

    if not equalizable(model):
        name = getattr(getattr(model, "card", None), "name", type(model).__name__)
        raise ConfigError(
            f"--qat-engine ranges trains ShuffleGen students without bounds yet (shufflegen_*); {name} is not "
            "one: use --qat-engine nncf"
        )
    stride = model.stride
    batches = [b[..., : b.shape[-2] // stride * stride, : b.shape[-1] // stride * stride] for b in calibration]
    equalized, _ = equalize_on_batches(model, batches)
    qat = RangeQAT(equalized)
    qat.calibrate(batches)
    return qat.train()
