"""Recurrent models (e.g. `mobilegen_t_050`): the torch reference that carries the state over frames.

A model is recurrent when its card's `recurrent` names its state input (`prev_output`); it is called as
`model(x, prev)` and its artifact takes a second input PREV_OUTPUT_INPUT, float32 [1,3,H,W] in the output
range, that the runtime fills with the previous frame's raw output (runtime/engines/recurrent.py).
Export verification (export/verify.py) runs the artifact and this reference over short moving
sequences with the state carried on both sides, so a wrong state path cannot pass.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

SEQUENCE_FRAMES = 3


def moving_sequence(frame: np.ndarray, n: int = SEQUENCE_FRAMES, step: int = 3) -> list[np.ndarray]:
    """`n` frames of a still panned `step` px right per frame (edge pixels wrap): a short verification clip."""
    return [np.roll(frame, step * i, axis=1) for i in range(n)]


@torch.no_grad()
def run_recurrent(model: nn.Module, frames: list[np.ndarray]) -> list[np.ndarray]:
    """torch reference: uint8 RGB frames in order -> uint8 RGB outputs, the raw output carried as `prev`
    (the first frame, and a frame of another size, start from initial_prev as the runtime does)."""
    from stylelite.models.mobilegen_temporal import initial_prev
    from stylelite.models.tensors import pad_to_multiple, to_tensor, to_uint8

    card = model.card
    prev, outs = None, []
    for f in frames:
        x, h, w = pad_to_multiple(to_tensor(f, card.input_range), card.stride)
        if prev is None or prev.shape != x.shape:
            prev = initial_prev(x, card.input_range, card.output_range)
        prev = model(x, prev)
        outs.append(to_uint8(prev[..., :h, :w], card.output_range)[0])
    return outs
