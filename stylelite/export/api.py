"""`stylelite export`: a trained model -> a verified artifact.

`export_model` resolves what the user named (a registered name or a weights file) into a model and
its ModelIdentity, then `export_loaded` converts (torch -> fp32 ONNX -> the format table's converter,
stylelite.export.formats), verifies and renames the artifact into place.
"""

from __future__ import annotations

import dataclasses
import errno
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylelite.export.export_config import Calibration, ExportConfig, calibration_for, check_probe_threads
from stylelite.export.formats import EXPORT_FORMATS, FORMATS, PRECISIONS, check_model
from stylelite.runtime.errors import ConfigError, ExportError
from stylelite.runtime.metadata import ArtifactMetadata


@dataclass(frozen=True)
class ExportResult:
    path: Path
    metadata: ArtifactMetadata
    verification: object  # stylelite.export.verify.VerifyResult
    size_mb: float
    target_report: object | None = None  # stylelite.export.targets.TargetReport when a target was named


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

    if checkpoint is None and graph_kind(model) in ("torchscript", "pt2"):
        name = Path(model).name  # export and stamping run nothing, and stamping takes ONNX and TFLite only
        raise ExportError(
            f"{name} is already an exported graph ({graph_kind(model)}), and stylelite stamps ONNX and TFLite "
            "files only: export it to ONNX where it was made (torch.onnx.export), then stamp that copy; or, if you "
            f"trust its code, distil from it: stylelite distill --teacher {name} --trust-graph-code --w-feature 0"
        )
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
    output = Path(output) if output else Path(f"{name.replace('.', '_')}{suffix}{EXPORT_FORMATS[config.format].suffix}")
    check_output_writable(output)  # an unwritable output fails before any model loads
    calibration = calibration_for(config, calib)  # bad calibration data fails before the model loads
    net, identity = load_model(model, checkpoint, key_map=key_map)
    return export_loaded(net, identity, output, config, verify_frames=verify_frames, calibration=calibration)


def export_loaded(
    net,
    identity,
    output: str | Path,
    config: ExportConfig,
    *,
    verify_frames: list[np.ndarray] | None = None,
    calibration: Calibration | None = None,
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
        calibration = calibration_for(config, None)  # raises: int8 needs real frames
    meta = model_metadata(net, identity, size=config.size)
    check_model(meta, config)
    output = Path(output)
    suffix = EXPORT_FORMATS[config.format].suffix
    if output.suffix.lower() != suffix:  # run, bench and serve pick the engine by the suffix
        raise ConfigError(
            f"-o {output.name}: a {EXPORT_FORMATS[config.format].title} export is a {suffix} file; "
            f"name it {output.stem}{suffix}"
        )
    check_output_writable(output)
    check_finite_model(net, meta.model)
    tmp = None
    try:
        fd, name = tempfile.mkstemp(prefix=f".{output.stem}.", suffix=f".unverified{output.suffix}", dir=output.parent)
        os.close(fd)
        tmp = Path(name)
        net, equalized = _equalized(net, meta, config, calibration)
        graph, meta = _unit_pixels(net, meta, config)
        with tempfile.TemporaryDirectory(prefix="stylelite-export-") as work:
            meta, report = _convert(graph, meta, config, Path(work), tmp, calibration, verify_frames, equalized)
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


def _equalized(net, meta, config: ExportConfig, calibration):
    """int8 of a student whose channel ranges can be equalized exactly: the equalized copy and its record
    (models/equalize.py); otherwise `net` unchanged and None."""
    from stylelite.models.equalize import equalizable, equalize_ranges
    from stylelite.runtime.frames import to_model_input

    if not (config.quantizes and config.equalize and calibration is not None and equalizable(net)):
        return net, None
    free = dataclasses.replace(meta, height=None, width=None)  # ranges do not depend on the frame size
    return equalize_ranges(net, calibration.frames, lambda f: to_model_input(f, free)[0])


def _unit_pixels(net, meta, config: ExportConfig):
    """int8 of a ShuffleGen student: the same function on [0, 1] pixels, whose uint8 grid holds every byte
    exactly (models/unit_range.py), with an ONNX skip filter folded into the head's channels (models/skip_fold.py),
    and its metadata; otherwise `net` and `meta` unchanged. Verification
    still runs the original against the artifact: the pictures must agree."""
    from stylelite.models.skip_fold import fold_skip_filter, foldable
    from stylelite.models.unit_range import UNIT, to_unit_range, unit_rangeable

    if not (config.quantizes and unit_rangeable(net)):
        return net, meta
    graph = to_unit_range(net)
    if config.format == "onnx" and foldable(graph):  # its skip filter as an int8 conv (models/skip_fold.py)
        graph = fold_skip_filter(graph)
    return graph, dataclasses.replace(meta, input_range=UNIT, output_range=UNIT)


def _convert(net, meta, config: ExportConfig, work: Path, tmp: Path, calibration, verify_frames, equalized=None):
    """torch -> fp32 ONNX (simplified) -> the format's converter, which writes `tmp`.
    Returns the artifact's metadata and the target report (TFLite: checked on the ONNX it converts)."""
    import onnx

    from stylelite.export.convert import Conversion
    from stylelite.export.torch2onnx import torch_to_onnx

    fp32 = work / "fp32.onnx"
    torch_to_onnx(net, fp32, meta, sample_size=config.sample_size, dynamic=config.dynamic, dynamo=config.dynamo)
    proto = onnx.load(str(fp32))
    simplified_by = ""
    if config.simplify:
        from stylelite.export.simplify import simplify_onnx

        proto, simplified_by = simplify_onnx(proto)
    precision = "fp32" if config.precision == "auto" else config.precision  # auto: the converter's choice
    meta = dataclasses.replace(meta, precision=precision, simplified_by=simplified_by)
    job = Conversion(proto, meta, config, work, tmp, calibration, verify_frames, equalized)
    return EXPORT_FORMATS[config.format].convert(job)


def _verify(net, tmp: Path, meta, config: ExportConfig, calibration, verify_frames, report):
    """Run the artifact against PyTorch (ExportError below the precision's threshold)."""
    from stylelite.export.verify import verification_frames, verify_artifact, verify_recurrent

    width, height = config.sample_wh
    if meta.precision == "int8":  # quantized models are verified on real footage only
        frames = calibration.held_out + list(verify_frames or [])
    elif config.dynamic:
        frames = verification_frames(verify_frames)
    else:
        frames = verification_frames(verify_frames, sizes=((height, width),))
    if not config.dynamic:
        frames = [f for f in frames if f.shape[:2] == (height, width)]
        if not frames:
            raise ExportError(f"no {width}x{height} frames to verify the static-size artifact on")
    if meta.is_recurrent:  # the state is carried over short moving sequences on both sides
        result = verify_recurrent(net, tmp, frames, meta.precision)
    else:
        result = verify_artifact(net, tmp, frames, meta.precision)
    if config.target is not None and config.format == "onnx":
        from stylelite.export.targets import check_target

        report = check_target(tmp, config.target)
    return result, report


__all__ = ["export_model", "export_loaded", "ExportConfig", "ExportResult", "FORMATS", "PRECISIONS", "ExportError",
           "check_probe_threads"]  # fmt: skip
