"""Verification: run an exported artifact on frames and compare it with PyTorch."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from stylelite.models.tensors import run_model
from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ExportError
from stylelite.runtime.metrics import psnr

# Minimum PSNR (dB) of the artifact's output to PyTorch's, per precision.
MIN_PSNR_DB = {"fp32": 40.0, "fp16": 30.0, "int8": 20.0}


@dataclass(frozen=True)
class VerifyResult:
    artifact: str
    precision: str
    frames: int
    psnr_db: float
    max_abs_error: int  # in uint8 levels
    threshold_db: float

    @property
    def passed(self) -> bool:
        return self.psnr_db >= self.threshold_db


def verify_artifact(
    model: torch.nn.Module, artifact: str | Path, frames: list[np.ndarray], precision: str = "fp32"
) -> VerifyResult:
    """Compare artifact vs PyTorch outputs on uint8 RGB frames; raise ExportError below threshold.

    A style-conditioned artifact is compared at each of stylelite.models.styled.verification_controls
    (its first style at full strength, a half-strength blend) against the model's forward_styled.
    """
    engine = load_engine(artifact)
    ours, ref = [], []
    if engine.styles:
        from stylelite.models.styled import run_styled, verification_controls

        for control in verification_controls(engine.styles):
            for f in frames:
                ours.append(engine.stylize(f, control))
                ref.append(run_styled(model, f, control, engine.styles))
    for f in frames:
        ours.append(engine.stylize(f))
        ref.append(run_model(model, f))
    return compare_outputs(artifact, ours, ref, precision, frames=len(frames))


def compare_outputs(
    artifact: str | Path, ours: list[np.ndarray], ref: list[np.ndarray], precision: str, frames: int, how: str = ""
) -> VerifyResult:
    """PSNR of the artifact's outputs to PyTorch's over all of them; ExportError below the precision's
    threshold (`how` says what was compared, for the message)."""
    a, b = np.concatenate([o.reshape(-1) for o in ours]), np.concatenate([r.reshape(-1) for r in ref])
    result = VerifyResult(
        artifact=str(artifact),
        precision=precision,
        frames=frames,
        psnr_db=min(psnr(a, b), 99.0),
        max_abs_error=int(np.abs(a.astype(int) - b.astype(int)).max()),
        threshold_db=MIN_PSNR_DB[precision],
    )
    if not result.passed:
        raise ExportError(
            f"{Path(artifact).name} differs from PyTorch{how}: PSNR {result.psnr_db:.1f} dB < "
            f"{result.threshold_db:.0f} dB for {precision} (max abs error {result.max_abs_error}); "
            "the artifact was not kept"
        )
    return result


def verification_frames(
    real: list[np.ndarray] | None = None, sizes=((256, 256), (180, 244)), seed: int = 0
) -> list[np.ndarray]:
    """Random frames at two sizes (one not a stride multiple) plus any real frames given."""
    rng = np.random.default_rng(seed)
    frames = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in sizes]
    return frames + list(real or [])


def verify_recurrent(model: torch.nn.Module, artifact: str | Path, frames: list[np.ndarray], precision: str = "fp32"):
    """verify_artifact for a recurrent artifact: each frame becomes a SEQUENCE_FRAMES-frame
    moving sequence, run through the engine (state carried, reset between sequences) and through PyTorch."""
    from stylelite.models.recurrent import SEQUENCE_FRAMES, moving_sequence, run_recurrent
    from stylelite.runtime.engines.recurrent import PREV_OUTPUT_INPUT

    engine = load_engine(artifact)
    if not engine.recurrent:
        raise ExportError(f"{Path(artifact).name} lost its {PREV_OUTPUT_INPUT} state input in export")
    ours, ref = [], []
    for f in frames:
        seq = moving_sequence(f)
        engine.reset()
        ours += [engine.stylize(g) for g in seq]
        ref += run_recurrent(model, seq)
    how = f" over {SEQUENCE_FRAMES}-frame sequences with the state carried"
    return compare_outputs(artifact, ours, ref, precision, frames=len(ours), how=how)
