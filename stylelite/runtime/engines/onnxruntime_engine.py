"""ONNX Runtime engine (CPU by default; other execution providers when installed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stylelite.runtime.engines.base import Engine, check_input_shape, inference_error, no_metadata_message
from stylelite.runtime.engines.recurrent import PREV_OUTPUT_INPUT, RecurrentMixin
from stylelite.runtime.errors import ConfigError, ExportError, InputError
from stylelite.runtime.metadata import METADATA_KEY, ArtifactMetadata
from stylelite.runtime.style_control import STRENGTH_INPUT, STYLE_WEIGHTS_INPUT

GRAPH_OPTIMIZATIONS = {
    "disable": "ORT_DISABLE_ALL",
    "basic": "ORT_ENABLE_BASIC",
    "extended": "ORT_ENABLE_EXTENDED",
    "all": "ORT_ENABLE_ALL",
}


class OrtEngine(RecurrentMixin, Engine):
    """An onnxruntime InferenceSession.

    Args:
        threads: intra-op threads (0: onnxruntime's default).
        providers: execution providers in priority order, full names (`CUDAExecutionProvider`) or short
            ones (`cuda`, `tensorrt`, `cpu`); a list or a comma-separated string. None: CPU only. A
            provider this onnxruntime build lacks, or cannot start, is a ConfigError, never a fallback.
        graph_optimization: disable | basic | extended | all.
        spin: let idle intra-op threads spin (onnxruntime's default: lowest latency for the model alone);
            False lets a pipeline's other stages have the cores between calls.
    """

    name = "onnxruntime"

    def __init__(
        self,
        path: str | Path,
        threads: int = 0,
        providers: list[str] | str | None = None,
        graph_optimization: str = "all",
        spin: bool = True,
    ) -> None:
        super().__init__(path)
        import onnxruntime as ort

        if graph_optimization not in GRAPH_OPTIMIZATIONS:
            raise ConfigError(
                f"graph optimization level {graph_optimization!r} is unknown: "
                f"use one of {', '.join(GRAPH_OPTIMIZATIONS)}"
            )
        wanted = resolve_providers(providers)
        opts = ort.SessionOptions()
        opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel, GRAPH_OPTIMIZATIONS[graph_optimization])
        opts.log_severity_level = 4  # fatal only: a failed call is raised as one line (inference_error)
        if threads:
            opts.intra_op_num_threads = threads
        if not spin:  # idle worker threads sleep instead of spinning: leaves the cores to decode/encode stages
            opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            self.session = ort.InferenceSession(str(self.path), opts, providers=wanted)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise InputError(
                f"{self.path.name} is not a loadable ONNX model: {str(exc).splitlines()[0][:200]}"
            ) from None
        self.providers = tuple(self.session.get_providers())  # what the session really uses
        dropped = [p for p in wanted if p not in self.providers]
        if dropped:
            raise ConfigError(
                f"onnxruntime could not start {', '.join(dropped)} (the session would run on "
                f"{', '.join(self.providers)}); check its libraries and drivers, or ask for other providers"
            )
        self.options = {"threads": threads, "providers": self.providers, "graph_optimization": graph_optimization}
        if not spin:
            self.options["spin"] = False
        props = self.session.get_modelmeta().custom_metadata_map
        if METADATA_KEY not in props:
            raise ExportError(no_metadata_message(self.path))
        self.meta = ArtifactMetadata.from_json(props[METADATA_KEY], source=self.path.name)
        inputs = self.session.get_inputs()
        self.input_name = inputs[0].name
        # stylelite's own exports are NCHW RGB; a stamped foreign graph may be NHWC and/or BGR (its card)
        self._nhwc, self._bgr = self.meta.layout == "NHWC", self.meta.color == "BGR"
        check_input_shape(self.path.name, self.meta, inputs[0].shape, self.meta.layout, inputs[0].name)
        self._types = {i.name: i.type for i in inputs}
        # `export --onnx-io uint8`: the frame's bytes in and out (NHWC), no float conversion on either side; only
        # where the metadata says so too (a stamped foreign graph with a uint8 input keeps its card's feeding)
        self.bytes_io = self._types[self.input_name] == "tensor(uint8)" and self.meta.quantization.get("io") == "uint8"
        if self.styles and not {STYLE_WEIGHTS_INPUT, STRENGTH_INPUT} <= set(self._types):
            raise ExportError(
                f"{self.path.name} lists styles but has no {STYLE_WEIGHTS_INPUT}/{STRENGTH_INPUT} inputs; re-export it"
            )
        self.init_recurrent(self._types)  # recurrent models: carry prev_output frame to frame

    def infer(self, batch: np.ndarray, control=None) -> np.ndarray:
        if self.recurrent:
            return self.run_recurrent(batch, lambda x, prev: self._run(x, control, prev))
        return self._run(batch, control)

    def preprocess(self, frame: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        if not self.bytes_io:
            return super().preprocess(frame)
        from stylelite.runtime.frames import padded_frame

        padded, hw = padded_frame(frame, self.meta)
        return padded[None], hw

    def _run(self, batch: np.ndarray, control=None, prev: np.ndarray | None = None) -> np.ndarray:
        if self.bytes_io:
            return self._run_bytes(batch)
        shape = batch.shape  # [N,3,H,W]
        if self._bgr:
            batch = batch[:, ::-1]
        if self._nhwc:
            batch = batch.transpose(0, 2, 3, 1)
        feeds = {self.input_name: np.ascontiguousarray(batch)}
        if self.styles:
            feeds[STYLE_WEIGHTS_INPUT], feeds[STRENGTH_INPUT] = self.style_inputs(control)
        if prev is not None:
            feeds[PREV_OUTPUT_INPUT] = prev
        for name, value in feeds.items():
            if self._types[name] == "tensor(float16)":
                feeds[name] = value.astype(np.float16)
        try:
            y = self.session.run(None, feeds)[0]
        except Exception as exc:  # onnxruntime's Fail/RuntimeException/InvalidArgument, MemoryError
            raise inference_error(self.path, shape, exc) from None
        if self._nhwc:
            y = y.transpose(0, 3, 1, 2)
        return np.ascontiguousarray(y[:, ::-1]) if self._bgr else y

    def _run_bytes(self, batch: np.ndarray) -> np.ndarray:
        """uint8 [N,H,W,3] in and out; a float [N,3,H,W] batch in the model's input range is turned into bytes first."""
        if batch.dtype != np.uint8:
            lo, hi = self.meta.input_range
            scaled = (np.asarray(batch, np.float32) - lo) * (255.0 / (hi - lo))
            batch = np.clip(np.rint(scaled), 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
        try:
            return self.session.run(None, {self.input_name: np.ascontiguousarray(batch)})[0]
        except Exception as exc:  # onnxruntime's Fail/RuntimeException/InvalidArgument, MemoryError
            raise inference_error(self.path, (batch.shape[0], 3, *batch.shape[1:3]), exc) from None


def resolve_providers(providers: list[str] | str | None) -> list[str]:
    """Full onnxruntime provider names for `providers` (short names allowed); ConfigError when one
    is unknown or not in onnxruntime.get_available_providers()."""
    import onnxruntime as ort

    if not providers:
        return ["CPUExecutionProvider"]
    if isinstance(providers, str):
        providers = [p for p in providers.split(",") if p.strip()]
    every = ort.get_all_providers()
    short = {p.removesuffix("ExecutionProvider").lower(): p for p in every}
    available = ort.get_available_providers()
    out = []
    for p in providers:
        p = p.strip()
        full = p if p in every else short.get(p.lower())
        if full is None:
            raise ConfigError(
                f"unknown execution provider {p!r} (onnxruntime knows {', '.join(sorted(short))}; "
                f"available here: {', '.join(available)})"
            )
        if full not in available:
            raise ConfigError(
                f"execution provider {full} is not available in this onnxruntime build "
                f"(available: {', '.join(available)}); install the onnxruntime package that has it "
                "(e.g. onnxruntime-gpu for CUDA/TensorRT) or choose an available one"
            )
        out.append(full)
    return list(dict.fromkeys(out))
