"""`stylelite export`: a trained model -> a verified artifact."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from runtime.errors import ConfigError, ExportError
from runtime.metadata import ArtifactMetadata

FORMATS = ("onnx", "tflite")
PRECISIONS = ("fp32", "fp16", "int8")


@dataclass(frozen=True)
class ExportResult:
    path: Path
    metadata: ArtifactMetadata
    verification: object  # export.verify.VerifyResult
    size_mb: float
    target_report: object | None = None  # export.targets.TargetReport when a target was named


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
    calib: str | Path | list[np.ndarray] | None = None,
    target: str | None = None,
    simplify: bool = True,
    tflite_io: str = "int8",
) -> ExportResult:
    """Export MODEL (a registered name or a stylelite weights file) and verify it against PyTorch.

    A style-conditioned model (`multistyle`: its card lists styles) exports with two more inputs, the
    style weights and the strength (runtime/style_control.py), and its style names in the metadata;
    that works for ONNX fp32 and fp16, while int8 and TFLite refuse it with an ExportError.
    A recurrent model (`mobilegen_t_*`: card extra `recurrent`) exports with a second image input,
    `prev_output`, metadata `extra["recurrent"] = "prev_output"`, and is verified over short sequences
    with the state carried (export/recurrent_model.py); ONNX fp32 and fp16 only, like style inputs.

    Args:
        model: e.g. `mobilegen_s_050`, `cyclegan_r9_bn.cartoon`, or `runs/.../student.safetensors`.
        output: artifact path; default `<model>.<format>` (`<model>_<precision>.<format>` for fp16/int8).
        checkpoint: weights to load into a named architecture.
        format: artifact kind: onnx, or tflite (NHWC, through onnx2tf; needs a fixed size: dynamic=False).
        precision: fp32; fp16 (weights and activations, fp32 inputs/outputs); int8 (QDQ, needs `calib`).
        dynamic: dynamic H and W (else fixed at sample_size).
        dynamo: use the torch.export-based ONNX exporter instead of the TorchScript one.
        verify_frames: real uint8 RGB frames to verify on (fp32/fp16 add random frames too).
        calib: int8 calibration data: an image folder, a video, or a list of uint8 RGB frames. Real
            footage, never noise; every fourth frame is held out and the artifact is verified on it.
        target: android-gpu | android-nnapi | xnnpack | tensorrt: list the ops that target would not
            run natively (a warning; the export still succeeds).
        simplify: simplify the graph (onnxslim) before the precision conversion.
        tflite_io: TFLite int8 only: the input/output tensor type, int8 | uint8 | float32.
    """
    import dataclasses
    import tempfile

    import onnx

    from distill.models.load import load_model
    from export.torch2onnx import embed_metadata, torch_to_onnx
    from export.verify import verification_frames, verify_artifact

    if format not in FORMATS:
        raise ConfigError(f"format {format!r} is not supported yet (supported: {', '.join(FORMATS)})")
    if precision not in PRECISIONS:
        raise ConfigError(f"precision {precision!r} is not supported (supported: {', '.join(PRECISIONS)})")
    if precision == "int8" and calib is None:
        raise ConfigError(
            "int8 needs real calibration frames: add --calib DIR_OR_VIDEO (footage like what the model will see)"
        )
    if format == "tflite" and dynamic:
        raise ConfigError("TFLite export needs a fixed input size: add --static-size N (e.g. 256)")
    if target is not None:
        from export.targets import TARGETS

        if target not in TARGETS:
            from runtime.errors import UnknownNameError

            raise UnknownNameError(f"unknown target {target!r} (known: {', '.join(TARGETS)})")
    calib_frames, held_out = [], []
    if precision == "int8":
        from export.calibration import load_calibration_frames, split_calibration

        frames = load_calibration_frames(calib) if isinstance(calib, (str, Path)) else list(calib)
        if not dynamic:  # a fixed-size graph calibrates and verifies at its size
            import cv2

            frames = [cv2.resize(f, (sample_size, sample_size), interpolation=cv2.INTER_AREA) for f in frames]
        calib_frames, held_out = split_calibration(frames)
    net = load_model(model, checkpoint)
    meta = model_metadata(net, model, size=None if dynamic else sample_size)
    if meta.styles and (precision == "int8" or format == "tflite"):
        raise ExportError(
            f"{meta.model} is style-conditioned ({', '.join(meta.styles)}); its style inputs export to ONNX "
            f"fp32 or fp16 only, not {format} {precision}: its activation ranges change with the style"
        )
    if meta.extra.get("recurrent") and (precision == "int8" or format == "tflite"):
        raise ExportError(
            f"{meta.model} is recurrent (it takes its previous output as a second input, {meta.extra['recurrent']}): "
            f"it exports to ONNX fp32 or fp16 only, not {format} {precision} (int8 calibration feeds single frames, "
            "not the fed-back state; the TFLite path and the LiteRT engine take one image input); "
            "use a per-frame mobilegen_s_* student for int8 or TFLite"
        )
    name = Path(model).stem if Path(model).suffix else model
    suffix = "" if precision == "fp32" else f"_{precision}"
    output = Path(output) if output else Path(f"{name.replace('.', '_')}{suffix}.{format}")
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(f".{output.stem}.unverified{output.suffix}")
    report = None
    with tempfile.TemporaryDirectory(prefix="stylelite-export-") as work:
        fp32 = Path(work) / "fp32.onnx"
        torch_to_onnx(net, fp32, meta, sample_size=sample_size, dynamic=dynamic, dynamo=dynamo)
        proto = onnx.load(str(fp32))
        simplified_by = ""
        if simplify:
            from export.simplify import simplify_onnx

            proto, simplified_by = simplify_onnx(proto)
        quant: dict = {}
        if format == "tflite":
            onnx.save(proto, str(fp32))
            if target is not None:  # onnx2tf maps ONNX ops one to one onto TFLite builtins: check them here
                from export.targets import check_target

                report = check_target(fp32, target)
            meta = dataclasses.replace(meta, precision=precision, layout="NHWC", simplified_by=simplified_by)
            try:
                from export.onnx2tflite import onnx_to_tflite
                from export.tflite_metadata import embed_tflite_metadata

                quant = onnx_to_tflite(
                    fp32, tmp, meta, precision, calib_frames, tflite_io=tflite_io, sample_frames=verify_frames
                )
                if precision == "int8":
                    source = str(calib) if isinstance(calib, (str, Path)) else "frames given in Python"
                    quant["calibration"]["source"] = source
                meta = dataclasses.replace(meta, quantization=quant)
                embed_tflite_metadata(tmp, meta)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        elif precision == "fp16":
            from export.onnx2fp16 import onnx_to_fp16

            proto, quant = onnx_to_fp16(proto)
        elif precision == "int8":
            from export.onnx2int8 import onnx_to_int8

            onnx.save(proto, str(fp32))
            source = str(calib) if isinstance(calib, (str, Path)) else "frames given in Python"
            quant = onnx_to_int8(fp32, Path(work) / "int8.onnx", calib_frames, meta, calibration_source=source)
            proto = onnx.load(str(Path(work) / "int8.onnx"))
        if format == "onnx":
            opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), None)
            meta = dataclasses.replace(
                meta, precision=precision, opset=opset, simplified_by=simplified_by, quantization=quant
            )
            embed_metadata(proto, meta)
            try:
                onnx.checker.check_model(proto)
            except onnx.checker.ValidationError as exc:
                msg = str(exc).splitlines()[0]
                raise ExportError(f"{precision} graph of {meta.model} is invalid: {msg}") from None
            onnx.save(proto, str(tmp))
    try:
        if precision == "int8":  # quantized models are verified on real footage only
            frames = held_out + list(verify_frames or [])
        elif dynamic:
            frames = verification_frames(verify_frames)
        else:
            frames = verification_frames(verify_frames, sizes=((sample_size, sample_size),))
        if not dynamic:
            frames = [f for f in frames if f.shape[:2] == (sample_size, sample_size)]
            if not frames:
                raise ExportError(f"no {sample_size}x{sample_size} frames to verify the static-size artifact on")
        if meta.extra.get("recurrent"):  # the state is carried over short moving sequences on both sides
            from export.recurrent_model import verify_recurrent

            result = verify_recurrent(net, tmp, frames, precision)
        else:
            result = verify_artifact(net, tmp, frames, precision)
        if target is not None and format == "onnx":
            from export.targets import check_target

            report = check_target(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(output)
    return ExportResult(output, meta, result, output.stat().st_size / 1e6, report)


def model_metadata(net, model: str | Path, size: int | None = None) -> ArtifactMetadata:
    """The fp32 metadata of a loaded model: what export embeds and the torch engine reports.

    Args:
        net: the model (load_model's result).
        model: what the user named (a registered name or a weights file).
        size: the fixed input size, or None for dynamic H and W.
    """
    from distill.models.load import weights_metadata
    from distill.models.profile import count_macs, count_params
    from export.recurrent_model import recurrent_metadata
    from export.styled_model import model_styles

    card = net.card
    qat = weights_metadata(model).get("qat", "") if Path(model).suffix == ".safetensors" else ""
    return ArtifactMetadata(
        model=card.name,
        weights=getattr(net, "weights_name", ""),
        teacher=getattr(net, "distilled_from", ""),
        precision="fp32",
        input_range=card.input_range,
        output_range=card.output_range,
        layout=card.layout,
        color=card.color,
        stride=card.stride,
        height=size,
        width=size,
        styles=model_styles(net),
        exported_by=_version(),
        extra={
            "params": count_params(net),
            "gmacs_256": round(count_macs(net, 256, 256) / 1e9, 4),
            "family": card.family,
            **({"qat": qat} if qat else {}),
            **recurrent_metadata(net),
        },
    )


def _version() -> str:
    import importlib.metadata

    try:
        return "stylelite " + importlib.metadata.version("stylelite")
    except importlib.metadata.PackageNotFoundError:
        return "stylelite (source)"


__all__ = ["export_model", "model_metadata", "ExportResult", "FORMATS", "PRECISIONS", "ExportError"]
