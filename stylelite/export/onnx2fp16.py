"""ONNX fp32 -> ONNX fp16 (weights and activations), keeping fp32 inputs and outputs."""

from __future__ import annotations


def onnx_to_fp16(proto):
    """Convert an fp32 ModelProto to fp16; returns (proto, quantization record).

    The graph keeps float32 inputs and outputs (Cast nodes at the edges), so the runtime feeds
    and reads it exactly as the fp32 artifact. Ops that onnxconverter-common keeps in fp32
    (e.g. Resize) get Casts around them.
    """
    from stylelite.runtime.errors import require

    float16 = require("onnxconverter_common.float16", "train")
    # Stale value_info (shape-inferred fp32 types) makes the converter's Casts around blocked ops
    # (Resize) type-inconsistent; drop it before and after, onnxruntime re-infers the types.
    proto = type(proto).FromString(proto.SerializeToString())
    del proto.graph.value_info[:]
    out = float16.convert_float_to_float16(proto, keep_io_types=True)
    del out.graph.value_info[:]
    return out, {"dtype": "float16", "io": "float32", "converter": _version("onnxconverter-common")}


def _version(pkg: str) -> str:
    import importlib.metadata

    try:
        return f"{pkg} {importlib.metadata.version(pkg)}"
    except importlib.metadata.PackageNotFoundError:
        return pkg
