"""A tiny read-only FlatBuffers walker for .tflite files: metadata entries, no TensorFlow.

Reads just what the runtime needs from the TFLite model schema (tensorflow/lite/schema/schema.fbs:
Model.buffers = field 4, Model.metadata = field 6; Metadata{name, buffer}; Buffer{data, offset,
size}) and the TFLite metadata schema (tflite-support metadata_schema.fbs, file identifier
"M001") for tests and `stylelite info`-style inspection.
"""

from __future__ import annotations

import struct
from pathlib import Path

from stylelite.runtime.errors import InputError

TFLITE_METADATA = "TFLITE_METADATA"  # the entry tflite-support and Android Studio read
STYLELITE_METADATA = "stylelite"  # stylelite's own JSON (stylelite.runtime.metadata.ArtifactMetadata)


class _Table:
    """One FlatBuffers table at `pos` of `buf`."""

    def __init__(self, buf: bytes, pos: int) -> None:
        self.buf, self.pos = buf, pos
        self.vt = pos - struct.unpack_from("<i", buf, pos)[0]
        self.vt_size = struct.unpack_from("<H", buf, self.vt)[0]

    def _field(self, slot: int) -> int:
        o = 4 + 2 * slot
        return struct.unpack_from("<H", self.buf, self.vt + o)[0] if o < self.vt_size else 0

    def scalar(self, slot: int, fmt: str, default=0):
        fo = self._field(slot)
        return struct.unpack_from("<" + fmt, self.buf, self.pos + fo)[0] if fo else default

    def _ref(self, slot: int) -> int | None:
        fo = self._field(slot)
        if not fo:
            return None
        p = self.pos + fo
        return p + struct.unpack_from("<I", self.buf, p)[0]

    def string(self, slot: int) -> str | None:
        v = self._ref(slot)
        if v is None:
            return None
        n = struct.unpack_from("<I", self.buf, v)[0]
        return self.buf[v + 4 : v + 4 + n].decode("utf-8")

    def table(self, slot: int) -> _Table | None:
        v = self._ref(slot)
        return None if v is None else _Table(self.buf, v)

    def _vector(self, slot: int) -> tuple[int, int]:
        v = self._ref(slot)
        return (0, 0) if v is None else (v + 4, struct.unpack_from("<I", self.buf, v)[0])

    def bytes_vector(self, slot: int) -> bytes:
        start, n = self._vector(slot)
        return self.buf[start : start + n]

    def floats(self, slot: int) -> list[float]:
        start, n = self._vector(slot)
        return list(struct.unpack_from(f"<{n}f", self.buf, start)) if n else []

    def tables(self, slot: int) -> list[_Table]:
        start, n = self._vector(slot)
        out = []
        for i in range(n):
            p = start + 4 * i
            out.append(_Table(self.buf, p + struct.unpack_from("<I", self.buf, p)[0]))
        return out


def _root(buf: bytes) -> _Table:
    if len(buf) < 8:
        raise InputError("not a FlatBuffers file (too short)")
    return _Table(buf, struct.unpack_from("<I", buf, 0)[0])


def metadata_entries(model: bytes | str | Path) -> dict[str, bytes]:
    """{name: bytes} of a .tflite model's `metadata` entries (the buffers they point at); InputError (one
    line) for a file that is not TFLite or whose FlatBuffer is damaged."""
    name = "the model" if isinstance(model, (bytes, bytearray)) else Path(model).name
    buf = model if isinstance(model, (bytes, bytearray)) else Path(model).read_bytes()
    buf = bytes(buf)
    if buf[4:8] != b"TFL3":
        raise InputError(f"{name} is not a TFLite model (file identifier is not TFL3)")
    try:
        return _entries(buf)
    except (struct.error, IndexError, UnicodeDecodeError, RecursionError) as exc:
        raise InputError(f"{name} is not a readable TFLite model: its FlatBuffer is damaged ({exc})") from None


def _entries(buf: bytes) -> dict[str, bytes]:
    root = _root(buf)
    buffers = root.tables(4)
    out = {}
    for entry in root.tables(6):
        name, index = entry.string(0) or "", entry.scalar(1, "I")
        if index >= len(buffers):
            raise InputError(f"TFLite metadata entry {name!r} points at a missing buffer {index}")
        b = buffers[index]
        offset, size = b.scalar(1, "Q"), b.scalar(2, "Q")
        out[name] = buf[offset : offset + size] if offset > 1 else b.bytes_vector(0)
    return out


def read_model_metadata(data: bytes) -> dict:
    """Parse a TFLite ModelMetadata flatbuffer (metadata_schema.fbs) into a dict of what stylelite writes."""
    if data[4:8] != b"M001":
        raise InputError("not a TFLite metadata buffer (file identifier is not M001)")
    root = _root(data)

    def tensor(t: _Table) -> dict:
        content = t.table(3)
        props = {}
        if content is not None and content.scalar(0, "B") == 2:  # ContentProperties.ImageProperties
            image = content.table(1)
            props = {"color_space": {0: "UNKNOWN", 1: "RGB", 2: "GRAYSCALE"}[image.scalar(0, "b")]}
            size = image.table(1)
            if size is not None:
                props["default_size"] = (size.scalar(0, "I"), size.scalar(1, "I"))
        norm = None
        for unit in t.tables(4):
            if unit.scalar(0, "B") == 1:  # ProcessUnitOptions.NormalizationOptions
                opts = unit.table(1)
                norm = {"mean": opts.floats(0), "std": opts.floats(1)}
        stats = t.table(5)
        return {
            "name": t.string(0),
            "description": t.string(1),
            "image_properties": props,
            "normalization": norm,
            "stats": {"max": stats.floats(0), "min": stats.floats(1)} if stats is not None else None,
        }

    subgraphs = root.tables(3)
    return {
        "name": root.string(0),
        "description": root.string(1),
        "version": root.string(2),
        "author": root.string(4),
        "license": root.string(5),
        "min_parser_version": root.string(7),
        "inputs": [tensor(t) for t in subgraphs[0].tables(2)] if subgraphs else [],
        "outputs": [tensor(t) for t in subgraphs[0].tables(3)] if subgraphs else [],
    }
