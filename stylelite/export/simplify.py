"""Graph simplification of an exported ONNX model (constant folding, fusing, dead-node removal)."""

from __future__ import annotations

import importlib.metadata


def simplify_onnx(proto) -> tuple[object, str]:
    """Simplify with onnxslim; returns (proto, "onnxslim VERSION"), or (proto, "") when onnxslim is
    not installed (the metadata then says the graph was not simplified)."""
    try:
        import onnxslim
    except ImportError:
        return proto, ""
    import logging

    logging.getLogger("onnxslim").setLevel(logging.ERROR)
    slim = onnxslim.slim(proto)
    return slim, f"onnxslim {importlib.metadata.version('onnxslim')}"
