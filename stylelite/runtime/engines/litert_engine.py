"""LiteRT (TensorFlow Lite) engine for .tflite artifacts: NHWC, float or quantized int8/uint8 I/O."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stylelite.runtime.engines.base import Engine, check_input_shape, inference_error, no_metadata_message
from stylelite.runtime.errors import ExportError, InputError, require
from stylelite.runtime.metadata import ArtifactMetadata
from stylelite.runtime.style_control import STRENGTH_INPUT, STYLE_WEIGHTS_INPUT
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
        self._in, self._style = _image_and_style_inputs(self.path.name, self.interp.get_input_details(), self.styles)
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
            self._in = next(d for d in self.interp.get_input_details() if d["index"] == self._in["index"])
            self._out = self.interp.get_output_details()[0]
        try:
            self.interp.set_tensor(self._in["index"], _quantize(x, self._in))
            if self.styles:
                for details, value in zip(self._style, self.style_inputs(control)):
                    self.interp.set_tensor(details["index"], value.astype(details["dtype"]))
            self.interp.invoke()
        except (ValueError, RuntimeError, MemoryError) as exc:
            raise inference_error(self.path, batch.shape, exc) from None
        y = _dequantize(self.interp.get_tensor(self._out["index"]), self._out)
        return y.transpose(0, 3, 1, 2)  # [N,H,W,3] -> [N,3,H,W]


def _image_and_style_inputs(name: str, inputs: list[dict], styles: tuple[str, ...]) -> tuple[dict, tuple]:
    """The image input's details and, for a style-conditioned model, its (style weights, strength) inputs'.

    onnx2tf keeps the ONNX input names (`copy_onnx_input_output_names_to_tflite`); a converter that prefixes
    them (`serving_default_strength:0`) is matched on the name inside."""
    if not styles:
        return inputs[0], ()
    found = {}
    for key in (STYLE_WEIGHTS_INPUT, STRENGTH_INPUT):
        match = [d for d in inputs if key in d["name"]]
        if len(match) != 1:
            raise ExportError(
                f"{name} lists styles but has no {STYLE_WEIGHTS_INPUT}/{STRENGTH_INPUT} inputs; re-export it"
            )
        found[key] = match[0]
    width = int(found[STYLE_WEIGHTS_INPUT]["shape"][-1])
    if width != len(styles):  # forged or mismatched metadata: one line at load, not a failure per frame
        raise ExportError(
            f"{name} takes {width} style weights but its metadata lists {len(styles)} styles; re-export it"
        )
    image = [d for d in inputs if d["index"] not in {f["index"] for f in found.values()}]
    if not image:
        raise ExportError(f"{name} has style inputs but no image input; re-export it")
    return image[0], (found[STYLE_WEIGHTS_INPUT], found[STRENGTH_INPUT])


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
