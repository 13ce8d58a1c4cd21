"""`stylelite export`: a trained model -> a verified artifact.

`export_model` resolves what the user named (a registered name or a weights file) into a model and
its ModelIdentity, then `export_loaded` converts, verifies and renames the artifact into place.
"""

from __future__ import annotations

import dataclasses
import errno
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylelite.runtime.errors import ConfigError, ExportError, UnknownNameError
from stylelite.runtime.metadata import ArtifactMetadata

FORMATS = ("onnx", "tflite")
PRECISIONS = ("fp32", "fp16", "int8", "auto")
AUTO_PROBE_SIZE = (640, 480)  # where --precision auto times a dynamic-size graph's layers
TFLITE_IO = ("int8", "uint8", "float32")


@dataclass(frozen=True)
class ExportConfig:
    """What to make of a model.

    Attributes:
        format: artifact kind: onnx, or tflite (NHWC, through onnx2tf; needs a fixed size: dynamic=False).
        precision: fp32; fp16 (weights and activations, fp32 inputs/outputs); int8 (QDQ, needs calibration);
            auto (ONNX: each conv timed here in fp32 and int8 (export/int8_layers.py); int8 QDQ on the convs
            it speeds up, the rest float; fp32 when it speeds up none; needs calibration).
        dynamic: dynamic H and W (else fixed at sample_size).
        dynamo: use the torch.export-based ONNX exporter instead of the TorchScript one.
        sample_size: the trace size, and the fixed size when not dynamic.
        target: android-gpu | android-nnapi | xnnpack | tensorrt: list the ops that target would not
            run natively (a warning; the export still succeeds).
        simplify: simplify the graph (onnxslim) before the precision conversion.
        tflite_io: TFLite int8 only: the input/output tensor type, int8 | uint8 | float32.
        threads: precision auto only: the inference threads the layers are timed with (0: onnxruntime's
            default); give the deployment's.
    """

    format: str = "onnx"
    precision: str = "fp32"
    dynamic: bool = True
    dynamo: bool = False
    sample_size: int = 256
    target: str | None = None
    simplify: bool = True
    tflite_io: str = "int8"
    threads: int = 0

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ConfigError(f"format {self.format!r} is not supported yet (supported: {', '.join(FORMATS)})")
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision {self.precision!r} is not supported (supported: {', '.join(PRECISIONS)})")
        if self.precision == "auto" and self.format != "onnx":
            raise ConfigError(
                "--precision auto times onnxruntime kernels; for TFLite export fp32 and int8 and compare them "
                "side by side with stylelite bench"
            )
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 0:
            raise ConfigError(f"threads={self.threads}: use a whole number >= 0 (0: the engine's default)")
        if self.format == "tflite" and self.dynamic:
            raise ConfigError("TFLite export needs a fixed input size: add --static-size N (e.g. 256)")
        if self.tflite_io not in TFLITE_IO:
            raise ConfigError(f"tflite_io {self.tflite_io!r}: use one of {', '.join(TFLITE_IO)}")
        if self.target is not None:
            from stylelite.export.targets import TARGETS

            if self.target not in TARGETS:
                raise UnknownNameError(f"unknown target {self.target!r} (known: {', '.join(TARGETS)})")

    @property
    def quantizes(self) -> bool:
        """int8, or auto (which may choose int8): needs calibration frames, refuses what int8 refuses."""
        return self.precision in ("int8", "auto")

    @property
    def size(self) -> int | None:
        """The fixed input size, or None for dynamic H and W."""
        return None if self.dynamic else self.sample_size


@dataclass(frozen=True)
class ExportResult:
    path: Path
    metadata: ArtifactMetadata
    verification: object  # stylelite.export.verify.VerifyResult
    size_mb: float
    target_report: object | None = None  # stylelite.export.targets.TargetReport when a target was named


@dataclass(frozen=True)
class _Calibration:
    frames: list[np.ndarray]  # calibrate on these
    held_out: list[np.ndarray]  # verify int8 on these
    source: str


def export_model(
    model: str | Path,
    output: str | Path | None = None,
    checkpoint: str | Path | None = None,
    *,
    config: ExportConfig | None = None,
    verify_frames: list[np.ndarray] | None = None,
    calib: str | Path | list[np.ndarray] | None = None,
    key_map: tuple[str, ...] = (),
    **config_fields,
) -> ExportResult:
    """Export MODEL (a registered name or a stylelite weights file) and verify it against PyTorch.

    A style-conditioned model (`multistyle`) exports with two more inputs, the style weights and the
    strength (runtime/style_control.py), and its style names in the metadata; a recurrent model
    (`mobilegen_t_*`) exports with a second image input, `prev_output`, and is verified over short
    sequences with the state carried. Both export to ONNX fp32 and fp16 only.

    Args:
        model: e.g. `mobilegen_s_050`, `cyclegan_r9_bn.cartoon`, or `runs/.../student.safetensors`.
        output: artifact path; default `<model>.<format>` (`<model>_<precision>.<format>` for fp16/int8).
        checkpoint: weights to load into a named architecture.
        config: an ExportConfig; its fields may also be given as keywords (`precision="fp16"`).
        verify_frames: real uint8 RGB frames to verify on (fp32/fp16 add random frames too).
        calib: int8 calibration data: an image folder, a video, or a list of uint8 RGB frames. Real
            footage, never noise; every fourth frame is held out and the artifact is verified on it.
        key_map: `--key-map` rules renaming a fork checkpoint's keys (models/key_map.py).
    """
    from stylelite.models.graph_teacher import graph_kind
    from stylelite.models.load import load_model

    if checkpoint is None and graph_kind(model):
        name = Path(model).name
        raise ExportError(
            f"{name} is already an exported graph: to let run, bench and serve play it, stamp a copy with how to "
            f"feed it: stylelite export {name} --card input_range=0,255 --card output_range=0,255 "
            f"-o stamped{Path(name).suffix}"
        )
    config = dataclasses.replace(config or ExportConfig(), **config_fields)
    name = Path(model).stem if Path(model).suffix else str(model)
    suffix = "" if config.precision == "fp32" else f"_{config.precision}"
    output = Path(output) if output else Path(f"{name.replace('.', '_')}{suffix}.{config.format}")
    check_output_writable(output)  # an unwritable output fails before any model loads
    calibration = _calibration(config, calib)  # bad calibration data fails before the model loads
    net, identity = load_model(model, checkpoint, key_map=key_map)
    return export_loaded(net, identity, output, config, verify_frames=verify_frames, calibration=calibration)


def export_loaded(
    net,
    identity,
    output: str | Path,
    config: ExportConfig,
    *,
    verify_frames: list[np.ndarray] | None = None,
    calibration: _Calibration | None = None,
) -> ExportResult:
    """Export an already loaded model (`net, identity = load_model(...)`) to `output` and verify it there.

    The artifact is written under a temporary name of its own beside `output` (two exports to one path
    never share it) and renamed into place only once it passed verification; every failure removes it.
    Weights that are not finite, and a model whose output is not finite or is one flat colour, are refused
    before anything is converted."""
    import os
    import tempfile

    from stylelite.models.metadata import model_metadata
    from stylelite.runtime.files import replace_into

    if config.quantizes and calibration is None:
        calibration = _calibration(config, None)  # raises: int8 needs real frames
    meta = model_metadata(net, identity, size=config.size)
    _refuse_unsupported(meta, config)
    output = Path(output)
    check_output_writable(output)
    check_finite_model(net, meta.model)
    tmp = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{output.stem}.", suffix=f".unverified{output.suffix}", dir=output.parent)
        os.close(fd)
        tmp = Path(name)
        with tempfile.TemporaryDirectory(prefix="stylelite-export-") as work:
            meta, report = _convert(net, meta, config, Path(work), tmp, calibration, verify_frames)
        result, report = _verify(net, tmp, meta, config, calibration, verify_frames, report)
        replace_into(tmp, output)
    except OSError as exc:
        _remove(tmp)
        if exc.errno in _NO_SPACE:
            raise ExportError(
                f"no space left to write {output} ({os.strerror(exc.errno)}): free some disk space or "
                "choose another -o folder; nothing was written"
            ) from None
        raise
    except BaseException:
        _remove(tmp)
        raise
    return ExportResult(output, meta, result, output.stat().st_size / 1e6, report)


_NO_SPACE = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}


def _remove(tmp: Path | None) -> None:
    if tmp is not None:
        tmp.unlink(missing_ok=True)


def check_output_writable(output: str | Path) -> None:
    """Make `output`'s folder if needed and prove it takes a new file; ExportError (one line) otherwise.

    Runs before any model loads, so an unwritable -o fails at once rather than after the export."""
    import os
    import tempfile

    output = Path(output)
    if output.is_dir():
        raise ExportError(f"{output} is a folder: give the artifact's file name, e.g. -o {output / 'model.onnx'}")
    folder = output.parent
    blocker = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise ExportError(f"cannot write {output}: {blocker} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=f".{output.name}.", suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ExportError(f"cannot write {output}: {exc.strerror or exc} in {folder}; choose another -o") from None


def check_finite_model(net, name: str) -> None:
    """ExportError (one line) when a weight or buffer of `net` is NaN or infinite (a diverged training),
    or when its output on a test frame is not finite or is one flat colour: such a model would verify
    against itself (NaN reads as black on both sides) and stylize every frame to nothing."""
    import torch

    bad = [
        (k, int((~torch.isfinite(v)).sum()))
        for k, v in net.state_dict().items()
        if v.is_floating_point() and not bool(torch.isfinite(v).all())
    ]
    if bad:
        first, count = bad[0]
        more = f" and {len(bad) - 1} more tensors" if len(bad) > 1 else ""
        raise ExportError(
            f"{name} has non-finite weights (NaN/Inf: {count} values in {first}{more}); its training "
            "diverged: export an earlier checkpoint or retrain with a lower --lr"
        )
    from stylelite.models.tensors import pad_to_multiple, to_tensor

    card = net.card
    frame = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    x, _, _ = pad_to_multiple(to_tensor(frame, card.input_range), card.stride)
    with torch.no_grad():
        y = net.eval()(x)  # [1,3,H,W]
    if not bool(torch.isfinite(y).all()):
        raise ExportError(f"{name} outputs non-finite values (NaN/Inf) on a test frame: its weights are broken")
    if float(y.max() - y.min()) < 1e-6:
        raise ExportError(
            f"{name} outputs one constant colour for a textured test frame: its weights are untrained or broken"
        )


def _calibration(config: ExportConfig, calib) -> _Calibration | None:
    if not config.quantizes:
        return None
    if calib is None:
        raise ConfigError(
            "int8 needs real calibration frames: add --calib DIR_OR_VIDEO (footage like what the model will see)"
        )
    from stylelite.export.calibration import load_calibration_frames, split_calibration

    frames = load_calibration_frames(calib) if isinstance(calib, (str, Path)) else list(calib)
    if not config.dynamic:  # a fixed-size graph calibrates and verifies at its size
        import cv2

        size = (config.sample_size, config.sample_size)
        frames = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
    calib_frames, held_out = split_calibration(frames)
    source = str(calib) if isinstance(calib, (str, Path)) else "frames given in Python"
    return _Calibration(calib_frames, held_out, source)


def _refuse_unsupported(meta: ArtifactMetadata, config: ExportConfig) -> None:
    quantized_or_tflite = config.quantizes or config.format == "tflite"
    what = f"{config.format} {config.precision}"
    if meta.styles and quantized_or_tflite:
        raise ExportError(
            f"{meta.model} is style-conditioned ({', '.join(meta.styles)}); its style inputs export to ONNX "
            f"fp32 or fp16 only, not {what}: its activation ranges change with the style"
        )
    if meta.extra.get("recurrent") and quantized_or_tflite:
        raise ExportError(
            f"{meta.model} is recurrent (it takes its previous output as a second input, {meta.extra['recurrent']}): "
            f"it exports to ONNX fp32 or fp16 only, not {what} (int8 calibration feeds single frames, "
            "not the fed-back state; the TFLite path and the LiteRT engine take one image input); "
            "use a per-frame mobilegen_s_* student for int8 or TFLite"
        )


def _convert(net, meta, config: ExportConfig, work: Path, tmp: Path, calibration, verify_frames):
    """torch -> fp32 ONNX (simplified) -> the asked format and precision, written to `tmp`.
    Returns the artifact's metadata and the target report (TFLite: checked on the ONNX it converts)."""
    import onnx

    from stylelite.export.torch2onnx import torch_to_onnx

    fp32 = work / "fp32.onnx"
    torch_to_onnx(net, fp32, meta, sample_size=config.sample_size, dynamic=config.dynamic, dynamo=config.dynamo)
    proto = onnx.load(str(fp32))
    simplified_by = ""
    if config.simplify:
        from stylelite.export.simplify import simplify_onnx

        proto, simplified_by = simplify_onnx(proto)
    meta = dataclasses.replace(meta, precision=config.precision, simplified_by=simplified_by)
    if config.format == "tflite":
        return _to_tflite(proto, fp32, meta, config, tmp, calibration, verify_frames)
    quant: dict = {}
    only: tuple[str, ...] = ()
    if config.precision == "auto":
        onnx.save(proto, str(fp32))
        precision, only, probe = _auto_precision(fp32, config)
        meta = dataclasses.replace(meta, precision=precision, extra={**meta.extra, "int8_probe": probe})
    if meta.precision == "fp16":
        from stylelite.export.onnx2fp16 import onnx_to_fp16

        proto, quant = onnx_to_fp16(proto)
    elif meta.precision == "int8":
        from stylelite.export.onnx2int8 import onnx_to_int8

        onnx.save(proto, str(fp32))
        quant = onnx_to_int8(
            fp32,
            work / "int8.onnx",
            calibration.frames,
            meta,
            calibration_source=calibration.source,
            only=only,
        )
        if config.precision == "auto" and not _int8_pays_whole(fp32, work / "int8.onnx", meta, config):
            meta, quant = dataclasses.replace(meta, precision="fp32"), {}
        else:
            proto = onnx.load(str(work / "int8.onnx"))
    _save_onnx(proto, meta, quant, tmp)
    return _read_meta_back(meta, proto, quant), None


def _auto_precision(fp32: Path, config: ExportConfig) -> tuple[str, tuple[str, ...], dict]:
    """Time every conv of `fp32` in fp32 and int8 on this machine (at the static size, else 640x480):
    ("int8", the nodes to quantize, the probe) when int8 speeds up at least one, else ("fp32", (), probe)."""
    from stylelite.export.int8_layers import MIN_SPEEDUP, int8_nodes, measure_int8_layers

    width, height = (config.sample_size, config.sample_size) if config.size else AUTO_PROBE_SIZE
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

    probe = meta.extra["int8_probe"]
    width, height = (int(v) for v in probe["size"].split("x"))
    probe["model_speedup"] = round(model_speedup(fp32, int8, width, height, config.threads), 3)
    pays = probe["model_speedup"] >= MIN_SPEEDUP
    probe["chosen"] = "int8" if pays else "fp32"
    return pays


def _to_tflite(proto, fp32: Path, meta, config: ExportConfig, tmp: Path, calibration, verify_frames):
    import onnx

    from stylelite.export.onnx2tflite import onnx_to_tflite
    from stylelite.export.tflite_metadata import embed_tflite_metadata

    onnx.save(proto, str(fp32))
    report = None
    if config.target is not None:  # onnx2tf maps ONNX ops one to one onto TFLite builtins: check them here
        from stylelite.export.targets import check_target

        report = check_target(fp32, config.target)
    meta = dataclasses.replace(meta, layout="NHWC")
    frames = calibration.frames if calibration else []
    quant = onnx_to_tflite(
        fp32, tmp, meta, config.precision, frames, tflite_io=config.tflite_io, sample_frames=verify_frames
    )
    if calibration is not None:
        quant["calibration"]["source"] = calibration.source
    meta = dataclasses.replace(meta, quantization=quant)
    embed_tflite_metadata(tmp, meta)
    return meta, report


def _read_meta_back(meta: ArtifactMetadata, proto, quant: dict) -> ArtifactMetadata:
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), None)
    return dataclasses.replace(meta, opset=opset, quantization=quant)


def _save_onnx(proto, meta: ArtifactMetadata, quant: dict, tmp: Path) -> None:
    import onnx

    from stylelite.export.torch2onnx import embed_metadata

    embed_metadata(proto, _read_meta_back(meta, proto, quant))
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as exc:
        msg = str(exc).splitlines()[0]
        raise ExportError(f"{meta.precision} graph of {meta.model} is invalid: {msg}") from None
    onnx.save(proto, str(tmp))


def _verify(net, tmp: Path, meta, config: ExportConfig, calibration, verify_frames, report):
    """Run the artifact against PyTorch (ExportError below the precision's threshold)."""
    from stylelite.export.verify import verification_frames, verify_artifact, verify_recurrent

    size = config.sample_size
    if meta.precision == "int8":  # quantized models are verified on real footage only
        frames = calibration.held_out + list(verify_frames or [])
    elif config.dynamic:
        frames = verification_frames(verify_frames)
    else:
        frames = verification_frames(verify_frames, sizes=((size, size),))
    if not config.dynamic:
        frames = [f for f in frames if f.shape[:2] == (size, size)]
        if not frames:
            raise ExportError(f"no {size}x{size} frames to verify the static-size artifact on")
    if meta.extra.get("recurrent"):  # the state is carried over short moving sequences on both sides
        result = verify_recurrent(net, tmp, frames, meta.precision)
    else:
        result = verify_artifact(net, tmp, frames, meta.precision)
    if config.target is not None and config.format == "onnx":
        from stylelite.export.targets import check_target

        report = check_target(tmp, config.target)
    return result, report


__all__ = ["export_model", "export_loaded", "ExportConfig", "ExportResult", "FORMATS", "PRECISIONS", "ExportError"]
