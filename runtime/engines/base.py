"""The inference-engine interface: uint8 RGB frames in, uint8 RGB frames out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from runtime.metadata import ArtifactMetadata
from runtime.style_control import StyleControl, blend_strength


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
        the extra inputs named in runtime.style_control; other engines ignore it.
        """

    def stylize(self, frame: np.ndarray, control: StyleControl | None = None) -> np.ndarray:
        """uint8 RGB [H,W,3] (any size) -> uint8 RGB [H,W,3], rendered as `control` asks."""
        from runtime.frames import as_rgb, from_model_output, to_model_input

        if control is not None:
            control.check(self.styles)
        x, (h, w) = to_model_input(frame, self.meta)
        y = from_model_output(self.infer(x, control), self.meta)[0, :h, :w]
        if control is not None and not self.styles:
            y = blend_strength(y, as_rgb(frame), control.strength)
        return y

    def describe(self) -> str:
        """e.g. `onnxruntime:student.onnx (providers=CPUExecutionProvider, graph_optimization=all)`."""
        opts = ", ".join(f"{k}={','.join(v) if isinstance(v, (list, tuple)) else v}" for k, v in self.options.items())
        return f"{self.name}:{self.path.name}" + (f" ({opts})" if opts else "")
