"""The card of an exported generator: how a graph stylelite did not make is fed (models/graph_teacher.py).

A card is written by people (a TOML file) or typed (`key=value`), so every value is checked for its type
and bounds here, with a one-line ConfigError naming the key: a range that is not two finite numbers, or
one no image uses, a stride beyond what any frame can be padded to, a constant input that is not numbers.
The bounds are the artifact metadata's (runtime/metadata.py), so a card that passes stamps valid metadata.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np

from stylelite.models.registry import ModelCard
from stylelite.runtime.errors import ConfigError
from stylelite.runtime.metadata import COLORS, LAYOUTS, MAX_RANGE, MAX_STRIDE, MIN_RANGE_SPAN
from stylelite.runtime.metadata_checks import image_range_fault

MAX_CONSTANT_VALUES = 65536  # numbers in one constant input (a style vector, a noise map of a small graph)
MAX_STYLES = 64


@dataclass(frozen=True)
class GraphCard:
    """How to feed an exported generator (a TOML card, or `key=value` options)."""

    input_range: tuple[float, float] = (-1.0, 1.0)
    output_range: tuple[float, float] = (-1.0, 1.0)
    layout: str = "NCHW"  # or NHWC
    color: str = "RGB"  # or BGR
    stride: int = 4  # H and W are padded to a multiple of this
    input: str = ""  # the image input's name (default: the graph's first input)
    inputs: dict = field(default_factory=dict)  # other inputs: name -> constant value (list of numbers)
    styles: tuple = ()  # a style-conditioned graph: the style each weight of `style_input` stands for
    style_input: str = ""  # the input taking the style weights, [B, len(styles)] or [len(styles)]
    strength_input: str = ""  # the input taking a strength in [0, 1]; without one, strength blends with the input
    batch: int = 0  # 1: the graph takes one frame at a time (fed so); 0: any batch

    def __post_init__(self) -> None:
        for name in ("input_range", "output_range"):
            object.__setattr__(self, name, _range(name, getattr(self, name)))
        for name, allowed in (("layout", LAYOUTS), ("color", COLORS)):
            value = getattr(self, name)
            value = value.strip().upper() if isinstance(value, str) else value
            if value not in allowed:
                raise ConfigError(f"{name}={_show(value)}: use {' or '.join(allowed)}")
            object.__setattr__(self, name, value)
        if not _whole(self.stride) or not 1 <= self.stride <= MAX_STRIDE:
            raise ConfigError(f"stride={_show(self.stride)}: use a whole number from 1 to {MAX_STRIDE} (e.g. stride=8)")
        if not _whole(self.batch) or self.batch not in (0, 1):
            raise ConfigError(f"batch={_show(self.batch)}: use batch=1 (one frame at a time) or 0 (any batch)")
        for name in ("input", "style_input", "strength_input"):
            if not isinstance(getattr(self, name), str):
                raise ConfigError(f"{name}={_show(getattr(self, name))}: give the graph's input name as text")
        object.__setattr__(self, "inputs", _constants(self.inputs))
        object.__setattr__(self, "styles", _styles(self.styles))
        if self.styles and not self.style_input:
            raise ConfigError("styles= names the weights of a style input: add style_input=NAME (the graph's input)")
        if self.style_input and not self.styles:
            raise ConfigError(f"style_input={self.style_input}: name its styles, e.g. styles=ink,wash,neon")
        if len(set(self.styles)) != len(self.styles) or not all(self.styles):
            raise ConfigError(f"styles={','.join(self.styles)}: give distinct, non-empty names")
        if self.strength_input and not self.style_input:
            raise ConfigError("strength_input= belongs to a style-conditioned graph: add style_input= and styles=")

    @classmethod
    def parse(cls, specs: tuple[str, ...] | list[str]) -> GraphCard:
        """From TOML card files and `key=value` strings (later ones win): `input_range=0,255`,
        `layout=NHWC`, `color=BGR`, `stride=8`, `input=image`, `inputs.style=1,0,0`, `batch=1`."""
        values: dict = {}
        for spec in specs:
            if "=" not in spec:
                values.update(_read_card(Path(spec)))
                continue
            key, _, raw = spec.partition("=")
            key = key.strip()
            if key.startswith("inputs."):
                values.setdefault("inputs", {})[key[7:]] = _numbers(raw, key, f"{key}=1,0,0")
            elif key in ("input_range", "output_range"):
                values[key] = _numbers(raw, key, f"{key}=0,255")
            elif key in ("stride", "batch"):
                values[key] = _whole_text(raw, key)
            elif key in ("layout", "color"):
                values[key] = raw.strip().upper()
            elif key in ("input", "style_input", "strength_input", "styles"):
                values[key] = raw.strip()
            else:
                known = ", ".join(f.name for f in fields(cls))
                raise ConfigError(f"unknown teacher card key {key!r} (known: {known}, inputs.NAME)")
        return cls(**values)

    def model_card(self, name: str, source: str) -> ModelCard:
        return ModelCard(
            name=name,
            family="graph",
            input_range=self.input_range,
            output_range=self.output_range,
            stride=self.stride,
            source=source,
            license="the graph's own",
            styles=self.styles,
            extra={"layout": self.layout, "color": self.color},
        )


def _show(value) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _range(name: str, value) -> tuple[float, float]:
    """[low, high]: two finite numbers an image range can be (the artifact metadata's bounds)."""
    fault = image_range_fault(value)
    if fault == "numbers":
        raise ConfigError(f"{name}={_show(value)}: give two finite numbers [low, high], e.g. {name}=0,255")
    lo, hi = float(value[0]), float(value[1])
    if fault == "order":
        raise ConfigError(f"{name}={[lo, hi]}: low must be below high, e.g. {name}=0,255")
    if fault == "span":
        raise ConfigError(
            f"{name}={[lo, hi]} is not an image's value range: give one spanning {MIN_RANGE_SPAN:g} to "
            f"{MAX_RANGE:g}, e.g. {name}=0,255 or {name}=-1,1"
        )
    return lo, hi


def _constants(inputs) -> dict:
    """{name: numbers}: constant extra inputs, each a (nested) list of finite numbers."""
    if not isinstance(inputs, dict):
        raise ConfigError(f"inputs={_show(inputs)}: give a table of NAME = [numbers] (or inputs.NAME=1,0,0)")
    out = {}
    for name, value in inputs.items():
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            array = None
        if array is None or array.size == 0 or not np.isfinite(array).all():
            raise ConfigError(f"inputs.{name}={_show(value)}: give finite numbers, e.g. inputs.{name}=1,0,0")
        if array.size > MAX_CONSTANT_VALUES:
            raise ConfigError(f"inputs.{name} holds {array.size} numbers: a card gives at most {MAX_CONSTANT_VALUES}")
        out[str(name)] = array.tolist()
    return out


def _styles(styles) -> tuple[str, ...]:
    if isinstance(styles, str):
        styles = styles.split(",") if styles.strip() else ()
    if not isinstance(styles, (list, tuple)) or not all(isinstance(s, str) for s in styles):
        raise ConfigError(f"styles={_show(styles)}: give style names, e.g. styles=ink,wash,neon")
    if len(styles) > MAX_STYLES:
        raise ConfigError(f"styles= names {len(styles)} styles: a card gives at most {MAX_STYLES}")
    return tuple(s.strip() for s in styles)


def _numbers(raw: str, key: str, example: str) -> list[float]:
    try:
        return [float(v) for v in raw.split(",")]
    except ValueError:
        raise ConfigError(f"{key}={raw!r}: give numbers, e.g. {example}") from None


def _whole_text(raw: str, key: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{key}={raw!r}: give a whole number") from None


def _read_card(path: Path) -> dict:
    from stylelite.runtime.files import read_toml

    if path.is_dir():
        raise ConfigError(f"teacher card {path} is a folder: give a TOML file or key=value")
    raw = read_toml(path, "teacher card", ConfigError)
    unknown = set(raw) - {f.name for f in fields(GraphCard)}
    if unknown:
        raise ConfigError(f"{path}: unknown key {sorted(unknown)[0]!r} in the teacher card")
    return raw
