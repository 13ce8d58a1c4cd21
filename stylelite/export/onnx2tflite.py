"""ONNX (NCHW, fp32) -> TFLite (NHWC): fp32, fp16 weights, or full-integer int8, through onnx2tf.

onnx2tf rewrites its input .onnx in place, so it gets a copy in a temporary folder. It is told not to run
the `onnxsim` command on it (three subprocesses, three quarters of its time): the export simplified the graph
already. The interpreter's bin folder is on PATH in case a version runs it anyway. For int8 it is given the
calibration frames explicitly, and for its own internal check of static RGB models it finds a sample-data
file of real frames in its working folder (otherwise it downloads one from the internet).
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

from stylelite.runtime.errors import ConfigError, ExportError, require
from stylelite.runtime.metadata import ArtifactMetadata

TFLITE_IO = ("int8", "uint8", "float32")
_OUTPUT_SUFFIX = {"fp32": "float32", "fp16": "float16", "int8": "full_integer_quant", "int8-float-io": "integer_quant"}


def onnx_to_tflite(
    src: str | Path,
    dst: str | Path,
    meta: ArtifactMetadata,
    precision: str = "fp32",
    calib_frames: list[np.ndarray] | None = None,
    tflite_io: str = "int8",
    sample_frames: list[np.ndarray] | None = None,
) -> dict:
    """Convert the fp32 ONNX at `src` into the .tflite `dst`; returns the quantization record.

    Args:
        meta: the artifact's metadata (input range; height/width must be fixed for int8).
        precision: fp32 | fp16 (float16 weights, float32 inputs/outputs) | int8 (full integer).
        calib_frames: int8: uint8 RGB frames at the model's fixed size (real footage).
        tflite_io: int8: the input/output tensor type, int8 | uint8 | float32.
        sample_frames: real uint8 RGB frames for onnx2tf's own output check (default: calib_frames).
    """
    onnx2tf = require("onnx2tf", "tflite")
    if precision not in _OUTPUT_SUFFIX or precision == "int8-float-io":
        raise ConfigError(f"precision {precision!r} has no TFLite conversion (use fp32, fp16 or int8)")
    if tflite_io not in TFLITE_IO:
        raise ConfigError(f"--tflite-io {tflite_io!r}: use one of {', '.join(TFLITE_IO)}")
    if precision == "int8" and not (meta.height and meta.width):
        raise ConfigError("TFLite int8 needs a fixed input size: add --static-size N or WxH (e.g. 640x480)")
    if precision == "int8" and not calib_frames:
        raise ExportError("TFLite int8 needs calibration frames: pass --calib with an image folder or a video")
    dst = Path(dst)
    with tempfile.TemporaryDirectory(prefix="stylelite-tflite-") as work:
        work = Path(work)
        onnx_copy = work / "model.onnx"
        shutil.copyfile(src, onnx_copy)  # onnx2tf rewrites its input in place
        kwargs = _int8_options(work, meta, calib_frames, tflite_io) if precision == "int8" else {}
        if meta.styles:
            # onnx2tf's strict mode picks each instance norm's layout by matching ONNX on test inputs, but feeds its
            # own probe different style weights: on a square map it then "fixes" H and W swapped (12.8 dB off).
            # stylelite's exports are plain NCHW, so the direct conversion is the right one (3e-6 off).
            kwargs["disable_strict_mode"] = True
        _write_sample_data(work, calib_frames or sample_frames or [])
        log = _run_onnx2tf(onnx2tf, src, onnx_copy, work, meta, kwargs)
        key = "int8-float-io" if precision == "int8" and tflite_io == "float32" else precision
        produced = work / "out" / f"model_{_OUTPUT_SUFFIX[key]}.tflite"
        if not produced.is_file():
            raise ExportError(f"onnx2tf wrote no {produced.name} for {meta.model}: {_last_lines(log)}")
        bounded = 0
        if precision == "int8":  # the student's activation bounds as its ranges (export/tflite_bounds.py)
            from stylelite.export.tflite_bounds import quantize_on_clip_bounds

            bounded = quantize_on_clip_bounds(produced)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(produced, dst)
    return _quantization_record(dst, precision, calib_frames, tflite_io, bounded)


def _int8_options(work: Path, meta: ArtifactMetadata, calib_frames: list[np.ndarray], tflite_io: str) -> dict:
    """onnx2tf's full-integer options, with the calibration frames saved where it reads them."""
    lo, hi = meta.input_range
    data = np.stack([f.astype(np.float32) / 255.0 for f in calib_frames])  # [N,H,W,3] in [0,1]
    npy = work / "calibration.npy"
    np.save(npy, data)
    mean = np.full(3, -lo / (hi - lo), np.float32)  # (p01 - mean) / std spans the input range
    std = np.full(3, 1.0 / (hi - lo), np.float32)
    return {
        "output_integer_quantized_tflite": True,
        "custom_input_op_name_np_data_path": [["image", str(npy), mean, std]],
        "input_quant_dtype": tflite_io,
        "output_quant_dtype": tflite_io,
        "quant_type": "per-channel",
    }


def _run_onnx2tf(onnx2tf, src, onnx_copy: Path, work: Path, meta: ArtifactMetadata, kwargs: dict) -> str:
    """Run onnx2tf in `work` (where it looks for its sample data) with the venv's onnxsim on PATH; returns its
    log. Failures become an ExportError naming the torch layer of the failing node."""
    env_path, cwd = os.environ.get("PATH", ""), os.getcwd()
    os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env_path  # onnxsim command
    log = io.StringIO()
    try:
        os.chdir(work)
        with contextlib.redirect_stdout(log):
            onnx2tf.convert(
                input_onnx_file_path=str(onnx_copy),
                output_folder_path=str(work / "out"),
                copy_onnx_input_output_names_to_tflite=True,
                non_verbose=True,
                not_use_onnxsim=True,  # simplified already: every shipped student converts byte-identical, 5x faster
                **kwargs,
            )
    except SystemExit:  # onnx2tf calls sys.exit(1) on errors
        where = explain_failing_node(src, failing_node_name(log.getvalue()))
        raise ExportError(f"onnx2tf could not convert {meta.model}{where}: {_last_lines(log.getvalue())}") from None
    except Exception as exc:
        name = getattr(exc, "onnx_op_name", None) or failing_node_name(log.getvalue())
        where = explain_failing_node(src, name)
        raise ExportError(f"onnx2tf could not convert {meta.model}{where}: {str(exc).splitlines()[0][:300]}") from exc
    finally:
        os.chdir(cwd)
        os.environ["PATH"] = env_path
    return log.getvalue()


def _quantization_record(dst: Path, precision: str, calib_frames, tflite_io: str, bounded: int = 0) -> dict:
    converter = f"onnx2tf {importlib.metadata.version('onnx2tf')}"
    if precision == "fp32":
        return {"converter": converter}
    if precision == "fp16":
        return {"dtype": "float16 weights", "io": "float32", "converter": converter}
    return {
        "scheme": "TFLite full integer",
        "weights": "int8 per-channel symmetric",
        "activations": "int8 per-tensor asymmetric",
        "io": tflite_io,
        "calibration": {"frames": len(calib_frames), "method": "TFLite converter (representative dataset)"},
        **({"bounded_tensors": f"{bounded} clipped chains on their Clip's limits"} if bounded else {}),
        **tensor_quantization(dst),
        "converter": converter,
    }


def tensor_quantization(path: str | Path) -> dict:
    """{"input": {...}, "output": {...}} with dtype, scale and zero_point, read back from the LiteRT interpreter."""
    from ai_edge_litert.interpreter import Interpreter

    interp = Interpreter(model_path=str(path))
    out = {}
    for key, details in (("input", interp.get_input_details()[0]), ("output", interp.get_output_details()[0])):
        scale, zero_point = details["quantization"]
        out[key] = {"dtype": np.dtype(details["dtype"]).name, "scale": float(scale), "zero_point": int(zero_point)}
    return out


def _write_sample_data(folder: Path, frames: list[np.ndarray]) -> None:
    """The 20x128x128x3 float32 [0,1] file onnx2tf would download, made from real frames (or a gradient)."""
    import cv2

    if frames:
        small = [cv2.resize(f, (128, 128), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0 for f in frames]
    else:  # no frames given: a smooth colour gradient, only for onnx2tf's internal shape/value check
        ramp = np.linspace(0.0, 1.0, 128, dtype=np.float32)
        small = [np.stack(np.broadcast_arrays(ramp[:, None], ramp[None, :], ramp[::-1, None]), -1)]
    data = np.stack([small[i % len(small)] for i in range(20)])
    np.save(folder / f"calibration_image_sample_data_{data.shape[0]}x128x128x3_float32.npy", data)


def failing_node_name(log: str) -> str | None:
    """The ONNX node onnx2tf names in its error output ("onnx_op_name: X" / "ONNX operation: X")."""
    import re

    m = re.search(r"(?:onnx_op_name:|ONNX operation:)\s*(\S+)", log)
    return m.group(1) if m else None


def layer_of(node_name: str) -> str:
    """The torch module path of a TorchScript-exported node.

    The exporter names a node by its module scopes and op: '/blocks/blocks.0/block/block.0/block.0.0/Conv'
    is module blocks.0.block.0.0 (a segment that extends the previous one adds its last part; any
    other segment is an attribute name)."""
    segments = [p for p in node_name.strip("/").split("/") if p][:-1]
    path: list[str] = []
    prev = None
    for seg in segments:
        path.append(seg[len(prev) + 1 :] if prev and seg.startswith(prev + ".") else seg)
        prev = seg
    return ".".join(path) or node_name


def explain_failing_node(onnx_path: str | Path, node_name: str | None) -> str:
    """' at layer L (op OP, node N); HINT' for the node onnx2tf failed on, or '' when unknown."""
    if not node_name:
        return ""
    import onnx

    from stylelite.export.targets import AVOID_HINT

    op = next((n.op_type for n in onnx.load(str(onnx_path)).graph.node if n.name == node_name), None)
    text = f" at layer {layer_of(node_name)} (op {op or '?'}, node {node_name})"
    hint = AVOID_HINT.get(op or "")
    return text + (f"; to avoid it: {hint}" if hint else "")


def _last_lines(text: str, n: int = 3) -> str:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return " | ".join(lines[-n:])[:400] or "no output"
