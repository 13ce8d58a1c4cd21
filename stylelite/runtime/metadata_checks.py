"""The value checks of ArtifactMetadata (runtime/metadata.py): every field's type and bounds.

A file's metadata is what a user (or an attacker) can edit: a range that is not two numbers, a stride
of 0 or 10**20, a size of -1, an unknown layout. Each is a MetadataError naming the field and the values
it takes, raised when the record is built, so the runtime never divides by zero, allocates a frame of
a forged size or quietly feeds a graph the wrong way round.
"""

from __future__ import annotations

import math

from stylelite.runtime.errors import MetadataError

_TEXT_FIELDS = (
    "model",
    "weights",
    "teacher",
    "family",
    "precision",
    "qat",
    "license",
    "exported_by",
    "simplified_by",
    "stamped_from",
    "stamped_sha256_16",
)
_DICT_FIELDS = ("quantization", "int8_probe", "extra")
PRECISIONS = ("fp32", "fp16", "int8")


def check_fields(meta) -> None:
    """MetadataError (the field, its value, what it takes) for the first bad field of `meta`; lists
    from JSON become tuples and whole floats of counts stay as given."""
    from stylelite.runtime.metadata import (
        COLORS,
        LAYOUTS,
        MAX_RANGE,
        MAX_SIDE,
        MAX_STRIDE,
        MIN_RANGE_SPAN,
        PREV_OUTPUT_INPUT,
    )

    for name in _TEXT_FIELDS:
        value = getattr(meta, name)
        if not isinstance(value, str):
            raise MetadataError(f"{name}={_show(value)} should be text")
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise MetadataError(f"{name} holds control characters")
    if not meta.model:
        raise MetadataError("model is empty: it names the model")
    if meta.precision not in PRECISIONS:
        raise MetadataError(f"precision={_show(meta.precision)}: one of {', '.join(PRECISIONS)}")
    for name in _DICT_FIELDS:
        if not isinstance(getattr(meta, name), dict):
            raise MetadataError(f"{name}={_show(getattr(meta, name))} should be an object")
    for name in ("input_range", "output_range"):
        value = getattr(meta, name)
        fault = image_range_fault(value)
        if fault == "numbers":
            raise MetadataError(f"{name}={_show(value)} should be two finite numbers [low, high], e.g. [-1, 1]")
        if fault == "order":
            raise MetadataError(f"{name}={_show(value)}: low must be below high (e.g. [0, 255])")
        if fault == "span":
            raise MetadataError(
                f"{name}={_show(value)} is not an image range: it should span {MIN_RANGE_SPAN:g} to "
                f"{MAX_RANGE:g} (e.g. [-1, 1] or [0, 255])"
            )
        object.__setattr__(meta, name, (float(value[0]), float(value[1])))
    if meta.layout not in LAYOUTS:
        raise MetadataError(f"layout={_show(meta.layout)}: one of {', '.join(LAYOUTS)}")
    if meta.color not in COLORS:
        raise MetadataError(f"color={_show(meta.color)}: one of {', '.join(COLORS)}")
    if not _whole(meta.stride) or not 1 <= meta.stride <= MAX_STRIDE:
        raise MetadataError(f"stride={_show(meta.stride)} should be a whole number from 1 to {MAX_STRIDE}")
    for name in ("height", "width"):
        value = getattr(meta, name)
        if value is not None and (not _whole(value) or not 1 <= value <= MAX_SIDE):
            raise MetadataError(
                f"{name}={_show(value)} should be a whole number of pixels from 1 to {MAX_SIDE}, or null (any size)"
            )
    if (meta.height is None) != (meta.width is None):
        raise MetadataError(f"height={meta.height}, width={meta.width}: give both (a fixed size) or neither")
    styles = meta.styles
    if not isinstance(styles, (list, tuple)) or not all(isinstance(s, str) and s for s in styles):
        raise MetadataError(f"styles={_show(styles)} should be a list of style names")
    if len(set(styles)) != len(styles):
        raise MetadataError(f"styles={_show(styles)} names a style twice")
    object.__setattr__(meta, "styles", tuple(styles))
    if meta.recurrent not in ("", PREV_OUTPUT_INPUT):
        raise MetadataError(f"recurrent={_show(meta.recurrent)}: {PREV_OUTPUT_INPUT!r} or empty")
    if meta.params is not None and (not _whole(meta.params) or meta.params < 0):
        raise MetadataError(f"params={_show(meta.params)} should be a count >= 0")
    for name in ("gmacs_256", "activation_bytes_per_pixel"):
        value = getattr(meta, name)
        if value is not None and (not _number(value) or value < 0):
            raise MetadataError(f"{name}={_show(value)} should be a number >= 0")
    if meta.opset is not None and (not _whole(meta.opset) or not 1 <= meta.opset <= 1000):
        raise MetadataError(f"opset={_show(meta.opset)} should be an ONNX opset number")


def image_range_fault(value) -> str:
    """What is wrong with `value` as an image's value range [low, high], the one rule that artifact metadata
    and teacher cards share: "numbers" (not two finite numbers), "order" (low not below high), "span" (too
    narrow or too wide for an image), or "" when it is sound."""
    from stylelite.runtime.metadata import MAX_RANGE, MIN_RANGE_SPAN  # (metadata imports this module)

    if not isinstance(value, (list, tuple)) or len(value) != 2 or not all(_number(v) for v in value):
        return "numbers"
    lo, hi = float(value[0]), float(value[1])
    if not lo < hi:
        return "order"
    if hi - lo < MIN_RANGE_SPAN or max(abs(lo), abs(hi)) > MAX_RANGE:
        return "span"
    return ""


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
