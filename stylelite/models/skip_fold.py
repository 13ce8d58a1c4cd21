"""A ShuffleGen skip filter folded into the 48 pre-shuffle channels: the same picture, int8 where it runs fastest.

The skip filter (models/shufflegen.py SkipFilter) is a depthwise 5x5 conv on the three colour channels at full
resolution. onnxruntime runs it as im2col over a 3-channel frame: at 1280x720 on one core it took 11.4 ms, more than
any conv of the student, plus 2.3 ms for its float reflect Pad. Folded, the filter's output for the 4x4 block of
pixels that one position of the body covers is one dense 8x8 stride-4 conv of the reflect-padded frame (a block's
pixels reach 2 pixels past it on each side) into the 48 channels the head predicts, added to the head before the
pixel shuffle. That conv quantizes like the body's convs, and its Pad runs on the frame's bytes
(export/int8_data_moves.py). Measured on the shipped `shufflegen_t_050_sk.cartoon_int8` at 1280x720: see
docs/measurements/runtime.md.

In int8 the kernel is rounded onto the exporter's weight grid here, keeping each colour's gain: onnxruntime's own
rounding of the few small taps moved the sum of a colour's taps by up to 0.9 % (a cast of about 2 grey levels, PSNR
0.5 dB lower on bikes); kept, the sum stays within half a step (0.25 %) and the artifact scores what the float filter
scored.
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from stylelite.models.shufflegen import STRIDE, ShuffleGen, SkipFilter

WEIGHT_LEVELS = 64  # onnxruntime's int8 symmetric weights with reduce_range (the exporter's): -64..64


def gain_kept_rounding(kernel: torch.Tensor, levels: int = WEIGHT_LEVELS) -> torch.Tensor:
    """`kernel` [C, 1, k, k] on the symmetric grid of step max|tap| / `levels` per channel, each channel's sum of taps
    kept to within half a step: taps are rounded to nearest, then the ones closest to rounding the other way move
    by one step until the sum is right. The largest tap stays on its level, so the grid's step does not change."""
    out = torch.empty_like(kernel)
    for c in range(kernel.shape[0]):
        taps = kernel[c].flatten().double()
        step = float(taps.abs().max()) / levels
        if step == 0.0:
            out[c] = 0.0
            continue
        exact = taps / step
        q = torch.round(exact)
        short = round(float(exact.sum() - q.sum()))  # whole steps the rounded sum misses
        if short:
            pull = (exact - q) * (1 if short > 0 else -1)  # how far each tap leans the needed way
            pull[taps.abs().argmax()] = -float("inf")
            for i in torch.argsort(pull, descending=True)[: abs(short)].tolist():
                q[i] += 1 if short > 0 else -1
        out[c] = (q * step).view_as(kernel[c]).to(kernel.dtype)
    return out


def folded_weight(kernel: torch.Tensor) -> torch.Tensor:
    """The [48, 3, 8, 8] stride-4 conv whose output channel c*16 + i*4 + j (PixelShuffle's order) is the depthwise
    `kernel` [3, 1, 5, 5] at pixel (i, j) of each 4x4 block of the frame padded by 2."""
    size = kernel.shape[-1]
    reach = size // 2
    span = STRIDE + 2 * reach
    weight = torch.zeros(3 * STRIDE * STRIDE, 3, span, span, dtype=kernel.dtype)
    for c in range(3):
        for i in range(STRIDE):
            for j in range(STRIDE):
                weight[c * STRIDE * STRIDE + i * STRIDE + j, c, i : i + size, j : j + size] = kernel[c, 0]
    return weight


class FoldedSkip(nn.Module):
    """The skip filter as one dense conv into the pre-shuffle channels (reflect padding, as the filter's)."""

    pre_shuffle = True  # ShuffleGen adds it to the head before the pixel shuffle

    def __init__(self, skip: SkipFilter, rounded: bool) -> None:
        super().__init__()
        kernel = skip.weight().detach()
        self.reach = kernel.shape[-1] // 2
        if rounded:
            kernel = gain_kept_rounding(kernel)
        self.register_buffer("weight", folded_weight(kernel))
        self.register_buffer("bias", skip.offset.detach().repeat_interleave(STRIDE * STRIDE))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = self.reach
        return F.conv2d(F.pad(x, (r, r, r, r), mode="reflect"), self.weight, self.bias, stride=STRIDE)


def foldable(net: nn.Module) -> bool:
    """A ShuffleGen with a skip filter that is not folded yet."""
    return type(net) is ShuffleGen and isinstance(net.skip, SkipFilter)


@torch.no_grad()
def fold_skip_filter(net: ShuffleGen, rounded: bool = True) -> ShuffleGen:
    """A copy of `net` whose skip filter runs folded into the pre-shuffle channels; `rounded`: its kernel on the
    int8 weight grid with each colour's gain kept (for the int8 export), else exactly the float kernel."""
    if not foldable(net):
        raise ValueError(f"{type(net).__name__} has no skip filter to fold")
    out = copy.deepcopy(net).eval()
    out.skip = FoldedSkip(net.skip, rounded)
    return out
