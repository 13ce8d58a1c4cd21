"""ONNX Runtime engine (CPU by default; other execution providers when installed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from runtime.engines.base import Engine
from runtime.errors import ExportError, InputError
from runtime.metadata import METADATA_KEY, ArtifactMetadata


class OrtEngine(Engine):
    name = "onnxruntime"

    def __init__(self, path: str | Path, threads: int = 0, providers: list[str] | None = None) -> None:
        super().__init__(path)
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        if threads:
            opts.intra_op_num_threads = threads
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=providers or ["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise InputError(
                f"{self.path.name} is not a loadable ONNX model: {str(exc).splitlines()[0][:200]}"
            ) from None
        props = self.session.get_modelmeta().custom_metadata_map
        if METADATA_KEY not in props:
            raise ExportError(f"{self.path.name} has no stylelite metadata; export it with `stylelite export`")
        self.meta = ArtifactMetadata.from_json(props[METADATA_KEY])
        self.input_name = self.session.get_inputs()[0].name
        self.input_type = self.session.get_inputs()[0].type

    def infer(self, batch: np.ndarray) -> np.ndarray:
        if self.input_type == "tensor(float16)":
            batch = batch.astype(np.float16)
        return self.session.run(None, {self.input_name: batch})[0]
