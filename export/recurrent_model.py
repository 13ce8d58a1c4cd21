"""Recurrent models (e.g. `mobilegen_t_050`) as graphs with a `prev_output` input, and their verification.

A model is recurrent when its card says `extra["recurrent"] == "prev_output"`; it is called as
`model(x, prev)` and its artifact takes a second input PREV_OUTPUT_INPUT, float32 [1,3,H,W] in the output
range, that the runtime fills with the previous frame's raw output (runtime/engines/recurrent.py).
Verification runs the artifact and PyTorch over short moving sequences with the state carried on both
sides, so a wrong state path cannot pass.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from runtime.engines.recurrent import PREV_OUTPUT_INPUT, RECURRENT_KEY

SEQUENCE_FRAMES = 3


def is_recurrent_model(model: nn.Module) -> bool:
    card = getattr(model, "card", None)
    return card is not None and card.extra.get(RECURRENT_KEY) == PREV_OUTPUT_INPUT


def recurrent_metadata(model: nn.Module) -> dict:
    """The ArtifactMetadata.extra entries of a recurrent model ({} for any other)."""
    return {RECURRENT_KEY: PREV_OUTPUT_INPUT} if is_recurrent_model(model) else {}


def moving_sequence(frame: np.ndarray, n: int = SEQUENCE_FRAMES, step: int = 3) -> list[np.ndarray]:
    """`n` frames of a still panned `step` px right per frame (edge pixels wrap): a short verification clip."""
    return [np.roll(frame, step * i, axis=1) for i in range(n)]


@torch.no_grad()
def run_recurrent(model: nn.Module, frames: list[np.ndarray]) -> list[np.ndarray]:
    """torch reference: uint8 RGB frames in order -> uint8 RGB outputs, the raw output carried as `prev`
    (the first frame, and a frame of another size, start from initial_prev as the runtime does)."""
    from distill.models.mobilegen_temporal import initial_prev
    from distill.tensors import pad_to_multiple, to_tensor, to_uint8

    card = model.card
    prev, outs = None, []
    for f in frames:
        x, h, w = pad_to_multiple(to_tensor(f, card.input_range), card.stride)
        if prev is None or prev.shape != x.shape:
            prev = initial_prev(x, card.input_range, card.output_range)
        prev = model(x, prev)
        outs.append(to_uint8(prev[..., :h, :w], card.output_range)[0])
    return outs


def verify_recurrent(model: nn.Module, artifact: str | Path, frames: list[np.ndarray], precision: str = "fp32"):
    """export.verify.verify_artifact for a recurrent artifact: each frame becomes a SEQUENCE_FRAMES-frame
    moving sequence, run through the engine (state carried, reset between sequences) and through PyTorch."""
    from export.verify import compare_outputs
    from runtime.engines import load_engine
    from runtime.errors import ExportError

    engine = load_engine(artifact)
    if not getattr(engine, "recurrent", False):
        raise ExportError(f"{Path(artifact).name} lost its {PREV_OUTPUT_INPUT} state input in export")
    ours, ref = [], []
    for f in frames:
        seq = moving_sequence(f)
        engine.reset()
        ours += [engine.stylize(g) for g in seq]
        ref += run_recurrent(model, seq)
    how = f" over {SEQUENCE_FRAMES}-frame sequences with the state carried"
    return compare_outputs(artifact, ours, ref, precision, frames=len(ours), how=how)
