"""The metadata every exported artifact carries, so the runtime needs no extra flags.

Written by export/ into ONNX metadata_props (one JSON value under METADATA_KEY, plus each
field as its own readable key) and read back here without torch.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

METADATA_KEY = "stylelite"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ArtifactMetadata:
    model: str  # registry name, e.g. mobilegen_s_050
    weights: str = ""  # what the weights are (tag or file)
    teacher: str = ""  # the teacher it was distilled from, if any
    precision: str = "fp32"
    input_range: tuple[float, float] = (-1.0, 1.0)
    output_range: tuple[float, float] = (-1.0, 1.0)
    layout: str = "NCHW"
    color: str = "RGB"
    stride: int = 4  # H and W of the input must be multiples of this
    height: int | None = None  # None: dynamic
    width: int | None = None
    styles: tuple[str, ...] = ()
    exported_by: str = ""
    opset: int | None = None  # ONNX opset of the artifact's graph
    simplified_by: str = ""  # graph simplifier and version, e.g. "onnxslim 0.1.98"
    # int8: {"scheme", "weights", "activations", "calibration": {...}, "input": {"scale", "zero_point"}};
    # fp16: {"dtype": "float16", "io": "float32"}; fp32: {}
    quantization: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)
    schema: int = SCHEMA_VERSION

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ArtifactMetadata:
        raw = json.loads(text)
        known = {f.name for f in dataclasses.fields(cls)}
        data = {k: v for k, v in raw.items() if k in known}
        for key in ("input_range", "output_range", "styles"):
            if key in data:
                data[key] = tuple(data[key])
        return cls(**data)

    def as_props(self) -> dict[str, str]:
        """Flat string properties (what ONNX metadata_props holds)."""
        props = {METADATA_KEY: self.to_json()}
        for k, v in dataclasses.asdict(self).items():
            if k != "extra":
                props[f"{METADATA_KEY}.{k}"] = v if isinstance(v, str) else json.dumps(v)
        return props
