"""LiteRT (TensorFlow Lite) engine for .tflite artifacts: NHWC, float or quantized int8/uint8 I/O."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stylelite.runtime.engines.base import Engine, check_input_shape, inference_error, no_metadata_message
from stylelite.runtime.errors import ExportError, InputError, require
from stylelite.runtime.metadata import ArtifactMetadata
from stylelite.runtime.tflite_file import STYLELITE_METADATA, metadata_entries


class LiteRTEngine(Engine):
    """ai_edge_litert's Interpreter.

    Args:
        threads: interpreter threads (0: LiteRT's default).
        xnnpack: keep LiteRT's default XNNPACK CPU delegate; False runs the built-in kernels only
            (the interpreter's op resolver without default delegates).
    """

    name = "litert"

    def __init__(self, path: str | Path, threads: int = 0, xnnpack: bool = True) -> None:
        super().__init__(path)
        interpreter = require("ai_edge_litert.interpreter", "litert")
        entries = metadata_entries(self.path)
        if STYLELITE_METADATA not in entries:
            raise ExportError(no_metadata_message(self.path))
        self.meta = ArtifactMetadata.from_json(entries[STYLELITE_METADATA], source=self.path.name)
        if self.styles:
            raise ExportError(f"{self.path.name} is style-conditioned; LiteRT runs single-style models only")
        resolver = interpreter.OpResolverType
        self.options = {"threads": threads, "xnnpack": xnnpack}
        try:
            self.interp = interpreter.Interpreter(
                model_path=str(self.path),
                num_threads=threads or None,
                experimental_op_resolver_type=resolver.AUTO if xnnpack else resolver.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
            )
            self.interp.allocate_tensors()
        except (ValueError, RuntimeError) as exc:
            raise InputError(f"{self.path.name} is not a loadable TFLite model: {str(exc)[:200]}") from None
        self._in = self.interp.get_input_details()[0]
        self._out = self.interp.get_output_details()[0]
        check_input_shape(self.path.name, self.meta, list(self._in["shape_signature"]), "NHWC", self._in["name"])
        self.dynamic = bool((np.asarray(self._in["shape_signature"]) < 0).any())

    def infer(self, batch: np.ndarray, control=None) -> np.ndarray:
        x = batch.transpose(0, 2, 3, 1)  # [N,3,H,W] -> [N,H,W,3]
        if tuple(self._in["shape"]) != x.shape:
            if not self.dynamic:
                raise InputError(
                    f"{self.path.name} takes {tuple(self._in['shape'])} NHWC input, got {x.shape}; "
                    "export it at this size or resize the frames"
                )
            try:
                self.interp.resize_tensor_input(self._in["index"], list(x.shape))
                self.interp.allocate_tensors()
            except (ValueError, RuntimeError, MemoryError) as exc:
                raise inference_error(self.path, batch.shape, exc) from None
            self._in = self.interp.get_input_details()[0]
            self._out = self.interp.get_output_details()[0]
        try:
            self.interp.set_tensor(self._in["index"], _quantize(x, self._in))
            self.interp.invoke()
        except (ValueError, RuntimeError, MemoryError) as exc:
            raise inference_error(self.path, batch.shape, exc) from None
        y = _dequantize(self.interp.get_tensor(self._out["index"]), self._out)
        return y.transpose(0, 3, 1, 2)  # [N,H,W,3] -> [N,3,H,W]


def _quantize(x: np.ndarray, details: dict) -> np.ndarray:
    dtype = np.dtype(details["dtype"])
    if dtype.kind == "f":
        return np.ascontiguousarray(x, dtype=dtype)
    scale, zero_point = details["quantization"]
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale) + zero_point, info.min, info.max).astype(dtype)


def _dequantize(y: np.ndarray, details: dict) -> np.ndarray:
    if np.dtype(details["dtype"]).kind == "f":
        return y.astype(np.float32)
    scale, zero_point = details["quantization"]
    return (y.astype(np.float32) - zero_point) * scale
