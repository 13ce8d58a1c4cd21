"""Pixels in [0, 1] for int8: the same ShuffleGen function, with the [-1, 1] maps folded into its stem and head.

A uint8 activation grid over [-1, 1] has scale 2/255 and zero point 128 (it must be an integer), so its
levels sit half a grey level from every pixel value a frame can hold: each input pixel is moved by half a
level (up or down by the parity of its byte: round half to even) and each output pixel is rounded twice,
once onto the int8 grid and once back to bytes. Over [0, 1] the grid is scale 1/255, zero point 0, and it
holds every byte exactly, in and out. The student keeps its function: with x' = (x + 1) / 2,
stem(x) = stem'(x') for stem' = (2 W, b - sum W) (a 4x4 stride-4 conv without padding, so exact) and the
output (x + r + 1) / 2 = x' + r / 2, so the head's weights, bias and bound are halved. With a skip filter
(k * x + o, reflect padding keeps constants) the output is k * x' + (o + 1 - sum k) / 2 + r / 2: the kernel stays,
its per-colour offset takes the constant, and its bound maps as the pixels do.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

UNIT = (0.0, 1.0)


def unit_rangeable(net: nn.Module) -> bool:
    """True for ShuffleGen students that still work on [-1, 1] pixels."""
    from stylelite.models.shufflegen import ShuffleGen

    return type(net) is ShuffleGen and tuple(net.pixel_range) == (-1.0, 1.0)


@torch.no_grad()
def to_unit_range(net: nn.Module) -> nn.Module:
    """A copy of ShuffleGen `net` that takes and returns [0, 1] pixels and computes the same picture."""
    if not unit_rangeable(net):
        raise ValueError(f"{type(net).__name__} cannot be folded to [0, 1] pixels (ShuffleGen on [-1, 1] only)")
    out = copy.deepcopy(net).eval()
    stem = out.stem[0]
    if stem.padding != (0, 0) or stem.kernel_size != stem.stride:
        raise ValueError("the stem must be a patchify conv (kernel = stride, no padding) to fold the input range")
    stem.bias.sub_(stem.weight.sum(dim=(1, 2, 3)))
    stem.weight.mul_(2.0)
    out.head.weight.mul_(0.5)
    out.head.bias.mul_(0.5)
    if "head" in out.bounds:
        lo, hi = out.bounds["head"]
        out.bounds["head"] = (lo / 2, hi / 2)
    if out.skip is not None:
        k = out.skip.weight()
        out.skip.offset.copy_((out.skip.offset + 1.0 - k.sum(dim=(1, 2, 3))) / 2)
        if "skip" in out.bounds:
            lo, hi = out.bounds["skip"]
            out.bounds["skip"] = ((lo + 1) / 2, (hi + 1) / 2)
    out.pixel_range = UNIT
    return out
