"""ONNX fp32 -> ONNX int8 QDQ with onnxruntime's static quantizer, calibrated on real frames.

QDQ (QuantizeLinear/DequantizeLinear pairs around float ops) is the form onnxruntime, TensorRT
and the mobile runtimes consume. Weights: int8, per-channel, symmetric. Activations: uint8,
per-tensor, min-max calibrated. `reduce_range` (7-bit weights) is the default because on AVX2
CPUs without VNNI the u8s8 kernels saturate otherwise (~10 dB lost, measured).
"""

from __future__ import annotations

import importlib.metadata
import tempfile
from pathlib import Path

import numpy as np

from stylelite.runtime.errors import ExportError
from stylelite.runtime.frames import to_model_input
from stylelite.runtime.metadata import ArtifactMetadata


def onnx_to_int8(
    src: str | Path,
    dst: str | Path,
    frames: list[np.ndarray],
    meta: ArtifactMetadata,
    per_channel: bool = True,
    reduce_range: bool = True,
    calibration_source: str = "",
    only: tuple[str, ...] = (),
) -> dict:
    """Quantize the fp32 model at `src` into `dst`; returns the quantization record for the metadata.

    Args:
        frames: uint8 RGB calibration frames (real footage; they are fed as the runtime feeds them).
        meta: the fp32 artifact's metadata (input range, stride, fixed size).
        only: quantize only these nodes (export/int8_layers.py: the convs int8 speeds up, with their Relus);
            empty: every node the quantizer knows.
    """
    if not frames:
        raise ExportError("int8 needs calibration frames: pass --calib with an image folder or a video")
    feeds = ({"image": to_model_input(f, meta)[0]} for f in frames)
    with tempfile.TemporaryDirectory(prefix="stylelite-int8-") as tmp:
        prepared = Path(tmp) / "prepared.onnx"
        _pre_process(Path(src), prepared)
        try:
            quantize_qdq(prepared, dst, feeds, per_channel, reduce_range, only, input_range=meta.input_range)
        except Exception as exc:  # onnxruntime raises plain exceptions
            raise ExportError(f"int8 quantization of {meta.model} failed: {str(exc).splitlines()[0][:300]}") from exc
    on_bytes = _moves_on_bytes(dst)
    return {
        "scheme": "QDQ",
        "weights": f"int8 {'per-channel' if per_channel else 'per-tensor'} symmetric"
        + (" (7-bit range)" if reduce_range else ""),
        "activations": "uint8 per-tensor asymmetric",
        "calibration": {"source": calibration_source, "frames": len(frames), "method": "minmax"},
        "input": input_quantization(dst),
        **({"float_nodes": floats} if (floats := pixel_filters(src)) else {}),
        **({"skip_filter": FOLDED_SKIP} if folded_skip(src) else {}),
        **({"moves_on_bytes": on_bytes} if on_bytes else {}),
        **({"int8_nodes": list(only)} if only else {}),
        "quantizer": f"onnxruntime {importlib.metadata.version('onnxruntime')} quantize_static",
    }


def quantize_qdq(
    src: str | Path,
    dst: str | Path,
    feeds,
    per_channel: bool = True,
    reduce_range: bool = True,
    only: tuple[str, ...] = (),
    method: str = "MinMax",
    input_range: tuple[float, float] | None = None,
) -> None:
    """onnxruntime's static QDQ quantizer with the exporter's settings, calibrated on `feeds` (an iterable of
    input dicts) by `method` (onnxruntime's CalibrationMethod name; the exporter uses min-max); only the
    nodes named in `only` when it is given. `input_range`: the image input is quantized on exactly this range
    (the pixels' own), not on what calibration happened to see."""
    import logging

    from onnxruntime.quantization import CalibrationDataReader

    class _Feeds(CalibrationDataReader):
        def __init__(self) -> None:
            self._it = iter(feeds)

        def get_next(self):
            return next(self._it, None)

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # the quantizer's advice to pre-process, once per call, is ours to follow
    try:
        _quantize_static(src, dst, _Feeds(), per_channel, reduce_range, only, method, input_range)
    finally:
        root.setLevel(level)


def _quantize_static(
    src,
    dst,
    reader,
    per_channel: bool,
    reduce_range: bool,
    only: tuple[str, ...],
    method: str = "MinMax",
    input_range: tuple[float, float] | None = None,
) -> None:
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static

    quantize_static(
        str(src),
        str(dst),
        reader,
        quant_format=QuantFormat.QDQ,
        activation_type=QuantType.QUInt8,
        weight_type=QuantType.QInt8,
        per_channel=per_channel,
        reduce_range=reduce_range,
        calibrate_method=getattr(CalibrationMethod, method),
        nodes_to_quantize=list(only) or None,
        nodes_to_exclude=pixel_filters(src) or None,
        extra_options={
            "WeightSymmetric": True,
            "ActivationSymmetric": False,
            "TensorQuantOverrides": {**clip_overrides(src), **_input_override(input_range)},
        },
    )


FOLDED_SKIP = (
    "int8: folded into the head's 48 channels as an 8x8 stride-4 conv of the reflect-padded frame, its kernel on the "
    "weight grid with each colour's gain kept (models/skip_fold.py)"
)


def _moves_on_bytes(path: str | Path) -> list[str]:
    """Pads and pixel shuffles of the int8 graph at `path` moved onto its quantized tensors, in place
    (export/int8_data_moves.py); their names."""
    import onnx

    from stylelite.export.int8_data_moves import run_moves_on_bytes

    proto = onnx.load(str(path))
    moved = run_moves_on_bytes(proto)
    if moved:
        onnx.save(proto, str(path))
    return moved


def folded_skip(path: str | Path) -> bool:
    """True when the graph's skip filter is the folded conv (models/skip_fold.py: a dense conv named by the
    `skip` module, where the unfolded filter is a conv of group 3)."""
    import onnx

    return any(
        n.op_type == "Conv" and n.name.startswith("/skip/") and all(a.i == 1 for a in n.attribute if a.name == "group")
        for n in onnx.load(str(path)).graph.node
    )


def pixel_filters(path: str | Path) -> list[str]:
    """The depthwise convs on the three colour channels (ShuffleGen's skip filter) and their Pads, which stay
    float: a filter's few small taps on a 7-bit grid would move its gain per colour by up to 4 % (measured: a colour
    cast of 3 grey levels), and 75 weights gain no speed from int8. Its output is still quantized, on its bounds."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    shapes = {t.name: tuple(numpy_helper.to_array(t).shape) for t in model.graph.initializer}
    pads = {n.output[0]: n.name for n in model.graph.node if n.op_type == "Pad"}
    out = []
    for node in model.graph.node:
        group = next((a.i for a in node.attribute if a.name == "group"), 1)
        shape = shapes.get(node.input[1]) if node.op_type == "Conv" and len(node.input) > 1 else None
        if shape and group == 3 and shape[:2] == (3, 1):
            # its reflect Pad too: quantized, the padded pixels would get a calibrated grid off the bytes' own
            out += [pads[node.input[0]], node.name] if node.input[0] in pads else [node.name]
    return out


def clip_overrides(path: str | Path) -> dict[str, list[dict]]:
    """Quantize the output of every Clip with constant limits on exactly those limits (widened to hold 0, as
    uint8 ranges do) rather than on what calibration saw: a student's activation bounds are the ranges its
    range-learning QAT trained with (distill/range_qat.py), and the output Clip is the image's own range."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    consts = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type == "Constant" and node.attribute and node.attribute[0].name == "value":
            consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
    out = {}
    for node in model.graph.node:
        if node.op_type != "Clip" or len(node.input) < 3 or not all(n in consts for n in node.input[1:3]):
            continue
        lo, hi = (float(np.asarray(consts[n]).reshape(-1)[0]) for n in node.input[1:3])
        out[node.output[0]] = [{"rmin": np.float32(min(lo, 0.0)), "rmax": np.float32(max(hi, 0.0))}]
    return out


def _input_override(input_range: tuple[float, float] | None) -> dict[str, list[dict]]:
    """The image input quantized on the pixels' range: over [0, 1] that grid (1/255, zero point 0) holds every
    byte exactly (models/unit_range.py)."""
    if input_range is None:
        return {}
    lo, hi = (float(v) for v in input_range)
    return {"image": [{"rmin": np.float32(min(lo, 0.0)), "rmax": np.float32(max(hi, 0.0))}]}


def _pre_process(src: Path, dst: Path) -> None:
    """onnxruntime's recommended pre-processing (shape inference, optimization); a copy on failure."""
    import shutil

    try:
        from onnxruntime.quantization.shape_inference import quant_pre_process

        # onnxruntime's symbolic shape inference gives up on Resize with dynamic H/W; ONNX's own is enough
        quant_pre_process(str(src), str(dst), skip_symbolic_shape=True)
    except Exception:  # pre-processing is an optimization, the quantizer works without it
        shutil.copyfile(src, dst)


def input_quantization(path: str | Path) -> dict:
    """Scale and zero-point of the QuantizeLinear that reads the graph input ({} if there is none)."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    inits = {t.name: t for t in model.graph.initializer}
    name = model.graph.input[0].name
    for node in model.graph.node:
        if node.op_type == "QuantizeLinear" and node.input[0] == name:
            scale = numpy_helper.to_array(inits[node.input[1]]) if node.input[1] in inits else None
            zp = numpy_helper.to_array(inits[node.input[2]]) if len(node.input) > 2 and node.input[2] in inits else None
            if scale is not None:
                return {
                    "scale": float(np.asarray(scale).reshape(-1)[0]),
                    "zero_point": int(np.asarray(zp).reshape(-1)[0]) if zp is not None else 0,
                    "dtype": "uint8",
                }
    return {}
