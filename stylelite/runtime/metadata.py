"""The metadata every exported artifact carries, so the runtime needs no extra flags.

Written by export/ into ONNX metadata_props (one JSON value under METADATA_KEY, plus each field as its
own readable key) or a TFLite metadata entry, and read back here without torch.

One typed, versioned record: what a model *is* (recurrent, style-conditioned, its ranges, stride,
size, parameters) is a field, never a string key looked up in `extra` (which holds free notes only).
Schema history:
    1: capabilities and counts in `extra` ("recurrent", "family", "params", "gmacs_256", "qat",
       "license", "int8_probe", "stamped_from", "sha256_16"); still read (moved into their fields).
    2: those are typed fields; every value is validated when read, so a forged or damaged file is
       one line naming the field, never a traceback or a silently wrong picture.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from stylelite.runtime.errors import MetadataError
from stylelite.runtime.json_text import loads_bounded

METADATA_KEY = "stylelite"
SCHEMA_VERSION = 2
OLDEST_SCHEMA = 1
LAYOUTS = ("NCHW", "NHWC")
COLORS = ("RGB", "BGR")
PREV_OUTPUT_INPUT = "prev_output"  # the state input of a recurrent model: float32 [1,3,H,W], output range
MAX_STRIDE = 512  # H and W are padded to a multiple of the stride: a 512x512 minimum frame at most
MAX_SIDE = 8192  # a fixed input size, per side (the pipeline's --process-size cap)
MAX_RANGE = 1e6  # |value| of a range end; input 0..255 or -1..1, mean-subtracted ~ -124..152
MIN_RANGE_SPAN = 1e-3  # a range narrower than this maps 256 grey levels onto noise
# schema-1 `extra` keys that are fields since schema 2 (old key -> field)
_V1_EXTRA_FIELDS = {
    "family": "family",
    "recurrent": "recurrent",
    "params": "params",
    "gmacs_256": "gmacs_256",
    "activation_bytes_per_pixel": "activation_bytes_per_pixel",
    "qat": "qat",
    "license": "license",
    "int8_probe": "int8_probe",
    "stamped_from": "stamped_from",
    "sha256_16": "stamped_sha256_16",
}


@dataclass(frozen=True)
class ArtifactMetadata:
    """What an artifact is and how to feed it (schema SCHEMA_VERSION).

    Attributes:
        model: registry name (`mobilegen_s_050`), or the stem of a stamped foreign graph.
        weights: what the weights are (`name.tag`, `arch:file`, the stamped file's name).
        teacher: the teacher it was distilled from ("" for anything else).
        family: the model family (`mobilegen`, `cyclegan_resnet`; "" for a stamped graph).
        precision: fp32 | fp16 | int8.
        input_range / output_range: the values 0 and 255 map to in the image input and output.
        layout: NCHW or NHWC of the graph's image tensors; color: RGB or BGR.
        stride: H and W of a dynamic-size input must be multiples of this (1..MAX_STRIDE).
        height / width: the fixed input size, or None for dynamic H and W.
        styles: style names of a style-conditioned model (extra inputs style_weights/strength).
        recurrent: the state input of a recurrent model (PREV_OUTPUT_INPUT), or "".
        params / gmacs_256: parameter count and GMACs of one 256x256 frame (None: not recorded).
        activation_bytes_per_pixel: measured activation memory per input pixel (None: estimated).
        qat: the QAT record of a quantization-aware-trained student.
        license: the weights' license, as its model card states it.
        quantization: int8: {"scheme", "weights", "activations", "calibration", "input"}; fp16:
            {"dtype": "float16", "io": "float32"}; fp32: {}.
        int8_probe: precision auto: the per-layer int8 timings export chose by ({} otherwise).
        stamped_from / stamped_sha256_16: a stamped foreign graph's original file and the start of its
            SHA-256 ("" for stylelite's own exports).
        extra: free notes for people; nothing reads a capability from it.
    """

    model: str
    weights: str = ""
    teacher: str = ""
    family: str = ""
    precision: str = "fp32"
    input_range: tuple[float, float] = (-1.0, 1.0)
    output_range: tuple[float, float] = (-1.0, 1.0)
    layout: str = "NCHW"
    color: str = "RGB"
    stride: int = 4
    height: int | None = None
    width: int | None = None
    styles: tuple[str, ...] = ()
    recurrent: str = ""
    params: int | None = None
    gmacs_256: float | None = None
    activation_bytes_per_pixel: float | None = None
    qat: str = ""
    license: str = ""
    exported_by: str = ""
    opset: int | None = None  # ONNX opset of the artifact's graph
    simplified_by: str = ""  # graph simplifier and version, e.g. "onnxslim 0.1.98"
    quantization: dict = field(default_factory=dict)
    int8_probe: dict = field(default_factory=dict)
    stamped_from: str = ""
    stamped_sha256_16: str = ""
    extra: dict = field(default_factory=dict)
    schema: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        from stylelite.runtime.metadata_checks import check_fields

        check_fields(self)

    @property
    def is_recurrent(self) -> bool:
        return self.recurrent == PREV_OUTPUT_INPUT

    @property
    def is_stamped(self) -> bool:
        """A foreign graph stylelite only wrote this metadata into."""
        return bool(self.stamped_from)

    @property
    def fixed_size(self) -> tuple[int, int] | None:
        """(height, width) of a fixed-size graph, None for dynamic H and W."""
        return (self.height, self.width) if self.height and self.width else None

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "the artifact") -> ArtifactMetadata:
        """Read metadata of any schema from OLDEST_SCHEMA to SCHEMA_VERSION (older ones migrated).

        Args:
            source: the artifact's file name, for the one-line MetadataError a bad value gives.
        """
        try:
            raw = loads_bounded(text)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
            raise MetadataError(_unreadable(source, f"is not JSON ({str(exc)[:80]})")) from None
        if not isinstance(raw, dict):
            raise MetadataError(_unreadable(source, f"is a JSON {type(raw).__name__}, not an object"))
        schema = raw.get("schema", OLDEST_SCHEMA)
        if isinstance(schema, bool) or not isinstance(schema, int) or schema < OLDEST_SCHEMA:
            raise MetadataError(_unreadable(source, f"names schema {schema!r}, not a version stylelite wrote"))
        if schema > SCHEMA_VERSION:
            raise MetadataError(
                f"{source} was written by a newer stylelite (metadata schema {schema}; this one reads "
                f"{OLDEST_SCHEMA} to {SCHEMA_VERSION}): upgrade it: pip install -U stylelite"
            )
        if schema == 1:
            raw = _from_v1(raw)
        known = {f.name for f in dataclasses.fields(cls)}
        data = {k: v for k, v in raw.items() if k in known}
        data["schema"] = SCHEMA_VERSION
        try:
            return cls(**data)
        except MetadataError as exc:
            raise MetadataError(_unreadable(source, f"is invalid: {exc}")) from None
        except TypeError as exc:  # a required field missing
            raise MetadataError(_unreadable(source, f"is incomplete ({exc})")) from None

    def as_props(self) -> dict[str, str]:
        """Flat string properties (what ONNX metadata_props holds)."""
        props = {METADATA_KEY: self.to_json()}
        for k, v in dataclasses.asdict(self).items():
            if k not in ("extra", "int8_probe"):
                props[f"{METADATA_KEY}.{k}"] = v if isinstance(v, str) else json.dumps(v)
        return props


def _from_v1(raw: dict) -> dict:
    """Schema 1 -> 2: the capability keys of `extra` become fields."""
    raw = dict(raw)
    extra = raw.get("extra")
    if not isinstance(extra, dict):
        return raw
    extra = dict(extra)
    for old, new in _V1_EXTRA_FIELDS.items():
        if old in extra:
            raw.setdefault(new, extra.pop(old))
    raw["extra"] = extra
    return raw


def _unreadable(source: str, problem: str) -> str:
    return (
        f"{source}: its stylelite metadata {problem}; the file is damaged or was edited: export it again with "
        "`stylelite export` (a foreign graph: stamp the original again with --card)"
    )
