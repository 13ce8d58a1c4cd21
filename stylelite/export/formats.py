"""The export formats, one table (as Ultralytics' `export_formats()`): each format's name, file suffix,
converter, the precisions it takes, the model kinds it takes (and at which precisions), whether it takes a
dynamic H/W, and which precisions have a dense-conv ceiling reference for `stylelite bench`.

The table drives `stylelite export`'s --format/--precision choices, what ExportConfig and the export refuse
(each refusal says what to do instead), and the reference sweep (export/ceiling_reference.py). Adding a
format is its converter (export/convert.py: the simplified fp32 ONNX -> the artifact) and one ExportFormat
in EXPORT_FORMATS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from stylelite.export.convert import ONNX_PRECISIONS, to_onnx, to_tflite
from stylelite.runtime.errors import ConfigError, ExportError
from stylelite.runtime.metadata import ArtifactMetadata

if TYPE_CHECKING:
    from stylelite.export.export_config import ExportConfig

STATIC_SIZE_FIX = "add --static-size N or WxH (e.g. 256, or 640x480)"


@dataclass(frozen=True)
class ExportFormat:
    """One artifact format.

    Attributes:
        name: the --format value.
        title: how messages name it (`ONNX`).
        suffix: the artifact's file suffix.
        convert: (convert.Conversion) -> (metadata, target report): writes the artifact.
        precisions: the --precision values it takes.
        kinds: model kinds beyond a plain image model (MODEL_KINDS) -> the precisions they export at;
            a kind not named here does not export to this format.
        dynamic: it takes dynamic H and W (else it needs --static-size).
        refusals: precision it does not take -> the one-line message saying what to do instead.
        references: precisions whose dense-conv ceiling reference is committed (runtime/reference/).
        reference_size: the fixed size of those references (None: dynamic).
    """

    name: str
    title: str
    suffix: str
    convert: Callable
    precisions: tuple[str, ...]
    kinds: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    dynamic: bool = True
    refusals: Mapping[str, str] = field(default_factory=dict)
    references: tuple[str, ...] = ()
    reference_size: int | None = None


EXPORT_FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat(
            "onnx", "ONNX", ".onnx", to_onnx, tuple(ONNX_PRECISIONS),
            kinds={"styled": ("fp32", "fp16"), "recurrent": ("fp32", "fp16")},
            references=("fp32", "fp16", "int8"),
        ),
        ExportFormat(
            "tflite", "TFLite", ".tflite", to_tflite, ("fp32", "fp16", "int8"), dynamic=False,
            kinds={"styled": ("fp32", "fp16")},
            refusals={
                "auto": "--precision auto times onnxruntime kernels; for TFLite export fp32 and int8 and compare "
                "them side by side with stylelite bench"
            },
            references=("fp32", "int8"), reference_size=480,
        ),
    )
}  # fmt: skip
FORMATS: tuple[str, ...] = tuple(EXPORT_FORMATS)
PRECISIONS: tuple[str, ...] = tuple(dict.fromkeys(p for f in EXPORT_FORMATS.values() for p in f.precisions))

# model kind -> why it exports only where the table says ({legal}: those formats and precisions, {what}: the
# asked format and precision, {model}, {styles}, {recurrent}: from the model's metadata)
MODEL_KINDS: dict[str, str] = {
    "styled": "{model} is style-conditioned ({styles}); its style inputs export to {legal} only, not {what}: its "
    "activation ranges change with the style",
    "recurrent": "{model} is recurrent (it takes its previous output as a second input, {recurrent}): it exports "
    "to {legal} only, not {what} (int8 calibration feeds single frames, not the fed-back state; the LiteRT engine "
    "does not carry the state from frame to frame); use a per-frame mobilegen_s_* student for int8 or TFLite",
}


def check_config(config: ExportConfig) -> None:
    """ConfigError for a format, precision or size the table does not allow, saying what to do instead."""
    fmt = EXPORT_FORMATS.get(config.format)
    if fmt is None:
        raise ConfigError(f"format {config.format!r} is not supported yet (supported: {', '.join(FORMATS)})")
    if config.precision not in PRECISIONS:
        raise ConfigError(f"precision {config.precision!r} is not supported (supported: {', '.join(PRECISIONS)})")
    if config.precision not in fmt.precisions:
        raise ConfigError(
            fmt.refusals.get(config.precision)
            or f"{fmt.title} takes --precision {', '.join(fmt.precisions)}, not {config.precision}"
        )
    if config.dynamic and not fmt.dynamic:
        raise ConfigError(f"{fmt.title} export needs a fixed input size: {STATIC_SIZE_FIX}")


def model_kinds(meta: ArtifactMetadata) -> tuple[str, ...]:
    """The MODEL_KINDS a model is, from its metadata."""
    return tuple(k for k, is_kind in (("styled", bool(meta.styles)), ("recurrent", meta.is_recurrent)) if is_kind)


def check_model(meta: ArtifactMetadata, config: ExportConfig) -> None:
    """ExportError when the model's kind does not export to the asked format and precision, naming where it does."""
    for kind in model_kinds(meta):
        if config.precision in EXPORT_FORMATS[config.format].kinds.get(kind, ()):
            continue
        where = [f"{f.title} {' or '.join(f.kinds[kind])}" for f in EXPORT_FORMATS.values() if kind in f.kinds]
        legal = " and ".join([", ".join(where[:-1]), where[-1]] if len(where) > 1 else where)
        raise ExportError(
            MODEL_KINDS[kind].format(
                model=meta.model, styles=", ".join(meta.styles), recurrent=meta.recurrent, legal=legal,
                what=f"{config.format} {config.precision}",
            )
        )  # fmt: skip


def reference_sweep() -> dict[tuple[str, str], tuple[str, int | None]]:
    """(format, precision) -> (file name, fixed size or None) of every dense-conv ceiling reference: what
    export/ceiling_reference.py builds and runtime/reference/ holds (REFERENCE_ARTIFACTS)."""
    return {
        (f.name, p): (f"dense_conv_{p}{f.suffix}", f.reference_size)
        for f in EXPORT_FORMATS.values()
        for p in f.references
    }
