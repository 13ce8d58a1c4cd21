"""Multi-style control: pick a style, blend two, set the strength — and change them while running.

A style-conditioned artifact (metadata `styles` non-empty, e.g. the `multistyle` teacher) takes the
control as extra model inputs: per-style weights [1, n_styles] and a strength [1]; the network
interpolates its own style codes (see distill/models/multistyle.py). Any other model has one
style; for it only `strength` applies, as a blend of the stylized frame with the input frame.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass

import numpy as np

from stylelite.runtime.errors import ConfigError

STYLE_WEIGHTS_INPUT = "style_weights"  # float32 [1, n_styles], >= 0 (normalised by the model)
STRENGTH_INPUT = "strength"  # float32 [1], in [0, 1]


@dataclass(frozen=True)
class StyleControl:
    """What to render: `style` (a name, or None for the model's first), optionally mixed with
    `blend_with` by `mix` (0: `style` only, 1: `blend_with` only), at `strength` (0: no style, 1: full)."""

    style: str | None = None
    blend_with: str | None = None
    mix: float = 0.5
    strength: float = 1.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength <= 1.0:
            raise ConfigError(f"strength {self.strength} is out of range: use a value in [0, 1]")
        if not 0.0 <= self.mix <= 1.0:
            raise ConfigError(f"mix {self.mix} is out of range: use a value in [0, 1]")

    def check(self, styles: tuple[str, ...] | list[str]) -> None:
        """Raise ConfigError when a named style is not one of `styles` (the model's)."""
        for name in (self.style, self.blend_with):
            if name is None:
                continue
            if not styles:
                raise ConfigError(
                    f"this model has a single style, so style {name!r} cannot be chosen; only strength applies"
                )
            if name not in styles:
                raise ConfigError(f"unknown style {name!r}: this model has {', '.join(styles)}")

    def weights(self, styles: tuple[str, ...] | list[str]) -> np.ndarray:
        """float32 [1, len(styles)] style weights that sum to 1."""
        self.check(styles)
        w = np.zeros((1, len(styles)), np.float32)
        first = styles.index(self.style) if self.style is not None else 0
        if self.blend_with is None:
            w[0, first] = 1.0
        else:
            w[0, first] += 1.0 - self.mix
            w[0, styles.index(self.blend_with)] += self.mix
        return w

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


def blend_strength(stylized: np.ndarray, frame: np.ndarray, strength: float) -> np.ndarray:
    """uint8 lerp frame -> stylized by `strength` (how single-style models honour the dial)."""
    if strength >= 1.0:
        return stylized
    if strength <= 0.0:
        return frame.copy()
    import cv2

    return cv2.addWeighted(stylized, float(strength), frame, 1.0 - float(strength), 0.0)


class StyleState:
    """The current StyleControl, shared between a UI thread that changes it and a pipeline that reads it."""

    def __init__(self, styles: tuple[str, ...] | list[str] = (), control: StyleControl | None = None) -> None:
        self.styles = tuple(styles)
        self._lock = threading.Lock()
        control = control or StyleControl()
        control.check(self.styles)
        self._control = control

    def get(self) -> StyleControl:
        with self._lock:
            return self._control

    def update(self, **changes) -> StyleControl:
        """Replace some fields (style, blend_with, mix, strength); invalid values raise ConfigError
        and leave the state unchanged."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(StyleControl)}
        if unknown:
            raise ConfigError(
                f"unknown style setting(s) {', '.join(sorted(unknown))}: use style, blend_with, mix, strength"
            )
        with self._lock:
            new = dataclasses.replace(self._control, **changes)
            new.check(self.styles)
            self._control = new
            return new
