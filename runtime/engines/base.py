"""The inference-engine interface: uint8 RGB frames in, uint8 RGB frames out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from stylelite.runtime.metadata import ArtifactMetadata
from stylelite.runtime.style_control import StyleControl, blend_strength


class Engine(ABC):
    """One artifact loaded in one inference runtime."""

    name: str = "engine"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.meta: ArtifactMetadata
        self.options: dict = {}  # the engine settings in effect (threads, providers, ...), for reports

    @property
    def styles(self) -> tuple[str, ...]:
        """Style names a style-conditioned model renders (empty: a single-style model)."""
        return tuple(self.meta.styles)

    def style_inputs(self, control: StyleControl | None) -> tuple[np.ndarray, np.ndarray]:
        """float32 style weights [1, n_styles] and strength [1] for a style-conditioned model; no
        control renders the first style at full strength."""
        control = control or StyleControl()
        return control.weights(self.styles), np.array([control.strength], np.float32)

    @abstractmethod
    def infer(self, batch: np.ndarray, control: StyleControl | None = None) -> np.ndarray:
        """Raw model call: float32 [N,3,H,W] in the model's input range -> same layout out.

        `control` matters only to style-conditioned models (`self.styles` non-empty), which take it as
        the extra inputs named in stylelite.runtime.style_control; other engines ignore it.
        """

    def preprocess(self, frame: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        """uint8 RGB [H,W,3] -> (model input [1,3,H',W'] padded to the stride, (H, W))."""
        from stylelite.runtime.frames import to_model_input

        return to_model_input(frame, self.meta)

    def postprocess(
        self, y: np.ndarray, hw: tuple[int, int], frame: np.ndarray, control: StyleControl | None = None
    ) -> np.ndarray:
        """Raw output -> uint8 RGB at `frame`'s size: cropped to `hw` (the size the model saw), resized
        when that was smaller than `frame`, and blended with `frame` by the strength of a single-style model."""
        import cv2

        from stylelite.runtime.frames import as_rgb, from_model_output

        h, w = hw
        out = from_model_output(y, self.meta)[0, :h, :w]
        if out.shape[:2] != frame.shape[:2]:
            out = cv2.resize(out, (frame.shape[1], frame.shape[0]), interpolation=cv2.INTER_LINEAR)
        if control is not None and not self.styles:
            out = blend_strength(out, as_rgb(frame), control.strength)
        return out

    def stylize(self, frame: np.ndarray, control: StyleControl | None = None) -> np.ndarray:
        """uint8 RGB [H,W,3] (any size) -> uint8 RGB [H,W,3], rendered as `control` asks."""
        if control is not None:
            control.check(self.styles)
        x, hw = self.preprocess(frame)
        return self.postprocess(self.infer(x, control), hw, frame, control)

    def describe(self) -> str:
        """e.g. `onnxruntime:student.onnx (providers=CPUExecutionProvider, graph_optimization=all)`."""
        opts = ", ".join(f"{k}={','.join(v) if isinstance(v, (list, tuple)) else v}" for k, v in self.options.items())
        return f"{self.name}:{self.path.name}" + (f" ({opts})" if opts else "")
