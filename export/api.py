"""`stylelite export`: a trained model -> a verified artifact."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from runtime.errors import ConfigError, ExportError
from runtime.metadata import ArtifactMetadata

FORMATS = ("onnx",)
PRECISIONS = ("fp32",)


@dataclass(frozen=True)
class ExportResult:
    path: Path
    metadata: ArtifactMetadata
    verification: object  # export.verify.VerifyResult
    size_mb: float


def export_model(
    model: str,
    output: str | Path | None = None,
    checkpoint: str | Path | None = None,
    format: str = "onnx",
    precision: str = "fp32",
    dynamic: bool = True,
    dynamo: bool = False,
    sample_size: int = 256,
    verify_frames: list[np.ndarray] | None = None,
) -> ExportResult:
    """Export MODEL (a registered name or a stylelite weights file) and verify it against PyTorch.

    Args:
        model: e.g. `mobilegen_s_050`, `cyclegan_r9_bn.cartoon`, or `runs/.../student.safetensors`.
        output: artifact path; default `<model>.<format>` in the working folder.
        checkpoint: weights to load into a named architecture.
        format, precision: artifact kind (this release: onnx / fp32).
        dynamic: dynamic H and W (else fixed at sample_size).
        dynamo: use the torch.export-based ONNX exporter instead of the TorchScript one.
        verify_frames: real uint8 RGB frames to verify on (random frames are always added).
    """
    from distill.models.load import load_model
    from distill.models.profile import count_macs, count_params
    from export.torch2onnx import torch_to_onnx
    from export.verify import verification_frames, verify_artifact

    if format not in FORMATS:
        raise ConfigError(f"format {format!r} is not supported yet (supported: {', '.join(FORMATS)})")
    if precision not in PRECISIONS:
        raise ConfigError(f"precision {precision!r} is not supported yet (supported: {', '.join(PRECISIONS)})")
    net = load_model(model, checkpoint)
    card = net.card
    name = Path(model).stem if Path(model).suffix else model
    output = Path(output) if output else Path(f"{name.replace('.', '_')}.{format}")
    meta = ArtifactMetadata(
        model=card.name,
        weights=getattr(net, "weights_name", ""),
        teacher=getattr(net, "distilled_from", ""),
        precision=precision,
        input_range=card.input_range,
        output_range=card.output_range,
        layout=card.layout,
        color=card.color,
        stride=card.stride,
        exported_by=_version(),
        extra={
            "params": count_params(net),
            "gmacs_256": round(count_macs(net, 256, 256) / 1e9, 4),
            "family": card.family,
        },
    )
    tmp = output.with_name(f".{output.stem}.unverified{output.suffix}")
    torch_to_onnx(net, tmp, meta, sample_size=sample_size, dynamic=dynamic, dynamo=dynamo)
    try:
        frames = (
            verification_frames(verify_frames)
            if dynamic
            else [
                f
                for f in verification_frames(verify_frames, sizes=((sample_size, sample_size),))
                if f.shape[:2] == (sample_size, sample_size)
            ]
        )
        result = verify_artifact(net, tmp, frames, precision)
    except ExportError:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(output)
    return ExportResult(output, meta, result, output.stat().st_size / 1e6)


def _version() -> str:
    import importlib.metadata

    try:
        return "stylelite " + importlib.metadata.version("stylelite")
    except importlib.metadata.PackageNotFoundError:
        return "stylelite (source)"


__all__ = ["export_model", "ExportResult", "FORMATS", "PRECISIONS", "ExportError"]
