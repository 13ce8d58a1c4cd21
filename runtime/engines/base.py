"""The inference-engine interface: uint8 RGB frames in, uint8 RGB frames out."""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from runtime.metadata import ArtifactMetadata


class Engine(ABC):
    """One artifact loaded in one inference runtime."""

    name: str = "engine"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.meta: ArtifactMetadata

    @abstractmethod
    def infer(self, batch: np.ndarray) -> np.ndarray:
        """Raw model call: float32 [N,3,H,W] in the model's input range -> same layout out."""

    def stylize(self, frame: np.ndarray) -> np.ndarray:
        """uint8 RGB [H,W,3] (any size) -> uint8 RGB [H,W,3]."""
        from runtime.frames import from_model_output, to_model_input

        x, (h, w) = to_model_input(frame, self.meta)
        return from_model_output(self.infer(x), self.meta)[0, :h, :w]

    def describe(self) -> str:
        return f"{self.name}:{self.path.name}"
