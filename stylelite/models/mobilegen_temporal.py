"""MobileGen-T: the recurrent MobileGen student, which also sees its own previous output.

Input = concat(current frame, previous output) [B,6,H,W] into the stem, and the previous output once
more beside the last features before the head (a learned per-pixel fusion at full resolution). Same
export-safe ops as MobileGen plus Concat. The first frame (no previous output yet) uses the current
frame mapped to the output range as `prev` (`initial_prev`), which is also what the runtime feeds
after a reset or a size change (runtime/engines/recurrent.py).

Name scheme: mobilegen_t_050 = family "mobilegen", size "t" (temporal), width x100.
"""

from __future__ import annotations

import torch
from torch import nn

from stylelite.models.mobilegen import MobileGen, _ch, conv_bn_act
from stylelite.models.registry import register_student
from stylelite.models.tensors import pad_to_multiple
from stylelite.runtime.engines.recurrent import PREV_OUTPUT_INPUT  # the graph's second input


def initial_prev(x: torch.Tensor, input_range=(-1.0, 1.0), output_range=(-1.0, 1.0)) -> torch.Tensor:
    """The `prev` of a first frame: the frame itself mapped from the input to the output range."""
    (a, b), (c, d) = input_range, output_range
    return x if (a, b) == (c, d) else (x - a) * ((d - c) / (b - a)) + c


class MobileGenTemporal(MobileGen):
    """Recurrent student: (frame, previous output), both [B,3,H,W] in [-1, 1] -> output in [-1, 1]
    (its card's `recurrent` names the state input)."""

    def __init__(self, width: float = 0.5, n_blocks: int = 6, expand: int = 4) -> None:
        super().__init__(width, n_blocks, expand)
        c_half, c_full = _ch(32, width), _ch(16, width)
        self.stem = conv_bn_act(6, c_half, 3, stride=2)  # sees the frame and the previous output
        self.head = nn.Conv2d(c_full + 3, 3, 3, padding=1)  # and the previous output at full resolution

    def forward_core(self, x: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """The exported graph (inputs `image`, `prev_output`): H and W must be multiples of 4."""
        skip = self.stem(torch.cat([x, prev], 1))
        y = self.blocks(self.down(skip))
        y = self.up1(y) + skip
        return torch.tanh(self.head(torch.cat([self.up2(y), prev], 1)))

    def forward(self, x: torch.Tensor, prev: torch.Tensor | None = None) -> torch.Tensor:
        """Any H x W; `prev` None: a first frame (initial_prev)."""
        if prev is None:
            prev = initial_prev(x, self.card.input_range, self.card.output_range)
        if x.shape[-2] % self.stride or x.shape[-1] % self.stride:
            xp, h, w = pad_to_multiple(x, self.stride)
            pp, _, _ = pad_to_multiple(prev, self.stride)
            return self.forward_core(xp, pp)[..., :h, :w]
        return self.forward_core(x, prev)


@register_student(
    family="mobilegen",
    stride=4,
    resolution=256,
    source="stylelite (distilled)",
    license="same as the teacher it was distilled from",
    recurrent=PREV_OUTPUT_INPUT,
    extra={"width": 0.5},
)
def mobilegen_t_050() -> MobileGenTemporal:
    """Width 0.5, recurrent: feeds its previous output back in (needs the state-carrying runtime)."""
    return MobileGenTemporal(0.5)
