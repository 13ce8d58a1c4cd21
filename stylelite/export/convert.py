"""The format converters EXPORT_FORMATS names (stylelite.export.formats): the simplified fp32 ONNX of a model ->
the artifact at the asked precision, written to `job.out`. Each returns the artifact's metadata and the target
report (TFLite: checked on the ONNX it converts; ONNX: None, checked on the artifact after verification).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from stylelite.runtime.errors import ExportError
from stylelite.runtime.metadata import ArtifactMetadata

if TYPE_CHECKING:
    from stylelite.export.export_config import ExportConfig

AUTO_PROBE_SIZE = (640, 480)  # where --precision auto times a dynamic-size graph's layers


@dataclass(frozen=True)
class Conversion:
    """One conversion: the simplified fp32 graph (`proto`, also at `work / "fp32.onnx"` once saved), its
    metadata, what to make of it, a scratch folder and the artifact file to write."""

    proto: Any  # onnx.ModelProto
    meta: ArtifactMetadata
    config: ExportConfig
    work: Path
    out: Path
    calibration: Any = None  # stylelite.export.export_config.Calibration, for int8
    verify_frames: list[np.ndarray] | None = None
    equalized: dict | None = None  # int8: the range equalization's record (models/equalize.py), when one ran

    @property
    def fp32(self) -> Path:
        return self.work / "fp32.onnx"


def to_onnx(job: Conversion) -> tuple[ArtifactMetadata, None]:
    """ONNX at fp32, fp16, int8 (QDQ) or auto (ONNX_PRECISIONS)."""
    proto, meta, quant = ONNX_PRECISIONS[job.config.precision](job, job.proto, job.meta)
    if job.config.onnx_io == "uint8":
        from stylelite.export.onnx_uint8_io import to_uint8_io

        proto = to_uint8_io(proto, meta.model)
        meta = dataclasses.replace(meta, layout="NHWC", input_range=(0.0, 255.0), output_range=(0.0, 255.0))
        quant = {**quant, "io": "uint8"}
    _save_onnx(proto, meta, quant, job.out)
    return _read_meta_back(meta, proto, quant), None


def _onnx_fp32(job: Conversion, proto, meta: ArtifactMetadata):
    return proto, meta, {}


def _onnx_fp16(job: Conversion, proto, meta: ArtifactMetadata):
    from stylelite.export.onnx2fp16 import onnx_to_fp16

    proto, quant = onnx_to_fp16(proto)
    return proto, meta, quant


def _onnx_int8(job: Conversion, proto, meta: ArtifactMetadata, only: tuple[str, ...] = ()):
    """QDQ int8 (on the nodes `only` names, or on every one it can), calibrated on real frames."""
    import onnx

    from stylelite.export.onnx2int8 import onnx_to_int8

    onnx.save(proto, str(job.fp32))
    c = job.calibration
    quant = onnx_to_int8(job.fp32, job.work / "int8.onnx", c.frames, meta, calibration_source=c.source, only=only)
    if job.equalized:
        quant["equalized"] = job.equalized
    return onnx.load(str(job.work / "int8.onnx")), dataclasses.replace(meta, precision="int8"), quant


def _onnx_auto(job: Conversion, proto, meta: ArtifactMetadata):
    """int8 on the convs it speeds up on this machine, the rest float; fp32 when it speeds up none, or when
    the mixed graph as a whole is not faster."""
    import onnx

    onnx.save(proto, str(job.fp32))
    precision, only, probe = _auto_precision(job.fp32, job.config)
    meta = dataclasses.replace(meta, precision=precision, int8_probe=probe)
    if precision == "fp32":
        return proto, meta, {}
    int8_proto, meta, quant = _onnx_int8(job, proto, meta, only)
    if not _int8_pays_whole(job.fp32, job.work / "int8.onnx", meta, job.config):
        return proto, dataclasses.replace(meta, precision="fp32"), {}
    return int8_proto, meta, quant


# ONNX precision -> (job, fp32 proto, metadata) -> (proto, metadata, quantization record)
ONNX_PRECISIONS: dict[str, Callable] = {"fp32": _onnx_fp32, "fp16": _onnx_fp16, "int8": _onnx_int8, "auto": _onnx_auto}


def _auto_precision(fp32: Path, config: ExportConfig) -> tuple[str, tuple[str, ...], dict]:
    """Time every conv of `fp32` in fp32 and int8 on this machine (at the static size, else 640x480):
    ("int8", the nodes to quantize, the probe) when int8 speeds up at least one, else ("fp32", (), probe)."""
    from stylelite.export.int8_layers import MIN_SPEEDUP, int8_nodes, measure_int8_layers

    width, height = config.size or AUTO_PROBE_SIZE
    timings = measure_int8_layers(fp32, width, height, config.threads)
    nodes = tuple(int8_nodes(fp32, timings))
    precision = "int8" if nodes else "fp32"
    probe = {
        "size": f"{width}x{height}",
        "threads": config.threads,
        "min_speedup": MIN_SPEEDUP,
        "chosen": precision,
        "layers": [t.to_dict() for t in timings],
    }
    return precision, nodes, probe


def _int8_pays_whole(fp32: Path, int8: Path, meta: ArtifactMetadata, config: ExportConfig) -> bool:
    """Time the mixed int8 graph against the fp32 one at the probe size and record it in the probe: the
    layers' gains must survive the QDQ pairs between them, or the export stays fp32."""
    from stylelite.export.int8_layers import MIN_SPEEDUP, model_speedup

    probe = meta.int8_probe
    width, height = (int(v) for v in probe["size"].split("x"))
    probe["model_speedup"] = round(model_speedup(fp32, int8, width, height, config.threads), 3)
    pays = probe["model_speedup"] >= MIN_SPEEDUP
    probe["chosen"] = "int8" if pays else "fp32"
    return pays


def to_tflite(job: Conversion) -> tuple[ArtifactMetadata, object | None]:
    """TFLite (NHWC) at fp32, fp16 or int8 through onnx2tf, its metadata embedded."""
    import onnx

    from stylelite.export.onnx2tflite import onnx_to_tflite
    from stylelite.export.tflite_metadata import embed_tflite_metadata

    config = job.config
    onnx.save(job.proto, str(job.fp32))
    report = None
    if config.target is not None:  # onnx2tf maps ONNX ops one to one onto TFLite builtins: check them here
        from stylelite.export.targets import check_target

        report = check_target(job.fp32, config.target)
    meta = dataclasses.replace(job.meta, layout="NHWC")
    calibration = job.calibration
    frames = calibration.frames if calibration else []
    quant = onnx_to_tflite(
        job.fp32, job.out, meta, config.precision, frames, tflite_io=config.tflite_io, sample_frames=job.verify_frames
    )
    if calibration is not None:
        quant["calibration"]["source"] = calibration.source
    if job.equalized and config.precision == "int8":
        quant["equalized"] = job.equalized
    meta = dataclasses.replace(meta, quantization=quant)
    embed_tflite_metadata(job.out, meta)
    return meta, report


def _read_meta_back(meta: ArtifactMetadata, proto, quant: dict) -> ArtifactMetadata:
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), None)
    return dataclasses.replace(meta, opset=opset, quantization=quant)


def _save_onnx(proto, meta: ArtifactMetadata, quant: dict, out: Path) -> None:
    import onnx

    from stylelite.export.torch2onnx import embed_metadata

    embed_metadata(proto, _read_meta_back(meta, proto, quant))
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as exc:
        msg = str(exc).splitlines()[0]
        raise ExportError(f"{meta.precision} graph of {meta.model} is invalid: {msg}") from None
    onnx.save(proto, str(out))
