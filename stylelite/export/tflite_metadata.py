"""Write stylelite's metadata into a .tflite file: the standard TFLite metadata plus stylelite's JSON.

(a) A `ModelMetadata` flatbuffer in the TFLite metadata schema (tensorflow/tflite-support
    `metadata_schema.fbs`, file identifier "M001"), attached as the model metadata entry named
    "TFLITE_METADATA" — what tflite-support's MetadataDisplayer and Android Studio's ML model
    binding read. Built by hand with the `flatbuffers` Builder, slot numbers in schema order.
(b) `ArtifactMetadata.to_json()` as a second metadata entry named "stylelite", read back by
    runtime/tflite_file.py without TensorFlow.

The model itself is parsed and re-serialized with LiteRT's generated object API for schema.fbs
(`ai_edge_litert.schema_py_generated`, a library module), and written atomically.
"""

from __future__ import annotations

from pathlib import Path

from stylelite.runtime.files import atomic_path
from stylelite.runtime.metadata import ArtifactMetadata
from stylelite.runtime.tflite_file import STYLELITE_METADATA, TFLITE_METADATA

METADATA_PARSER_VERSION = "1.0.0"  # only fields from metadata schema 1.0.0 are written

# Union type tags in metadata_schema.fbs (NONE = 0, then declaration order).
_CONTENT_IMAGE_PROPERTIES = 2  # ContentProperties: FeatureProperties, ImageProperties, BoundingBoxProperties
_PROCESS_NORMALIZATION = 1  # ProcessUnitOptions: NormalizationOptions, ...
_COLOR_RGB = 1


def normalization(value_range: tuple[float, float]) -> tuple[float, float]:
    """(mean, std) such that (pixel - mean) / std maps [0, 255] onto `value_range`."""
    lo, hi = value_range
    std = 255.0 / (hi - lo)
    return -lo * std, std


class _FlatBuffer:
    """The few flatbuffers helpers the metadata tables need, over one Builder."""

    def __init__(self) -> None:
        import flatbuffers

        self.b = flatbuffers.Builder(1024)

    def floats(self, values) -> int:
        b = self.b
        b.StartVector(4, len(values), 4)
        for v in reversed(values):
            b.PrependFloat32(float(v))
        return b.EndVector()

    def offsets(self, items: list[int]) -> int:
        b = self.b
        b.StartVector(4, len(items), 4)
        for o in reversed(items):
            b.PrependUOffsetTRelative(o)
        return b.EndVector()

    def table(self, n_slots: int, slots: dict[int, int], scalars: dict[int, tuple[str, int]] = {}) -> int:  # noqa: B006
        """A table with offset `slots` {slot: offset} and scalar slots {slot: (Prepend*Slot name, value)}."""
        b = self.b
        b.StartObject(n_slots)
        for slot, (kind, value) in scalars.items():
            getattr(b, f"Prepend{kind}Slot")(slot, value, 0)
        for slot, offset in slots.items():
            b.PrependUOffsetTRelativeSlot(slot, offset, 0)
        return b.EndObject()


def _image_content(fb: _FlatBuffer, meta: ArtifactMetadata) -> int:
    size = {}
    if meta.height and meta.width:  # ImageSize{width, height}
        size = {1: fb.table(2, {}, {0: ("Uint32", meta.width), 1: ("Uint32", meta.height)})}
    image = fb.table(2, size, {0: ("Int8", _COLOR_RGB)})  # ImageProperties{color_space, default_size}
    # Content{content_properties_type, content_properties, range}
    return fb.table(3, {1: image}, {0: ("Uint8", _CONTENT_IMAGE_PROPERTIES)})


def _normalization_units(fb: _FlatBuffer, value_range) -> int:
    mean, std = normalization(value_range)
    norm = fb.table(2, {0: fb.floats([mean] * 3), 1: fb.floats([std] * 3)})  # NormalizationOptions{mean, std}
    unit = fb.table(2, {1: norm}, {0: ("Uint8", _PROCESS_NORMALIZATION)})  # ProcessUnit{options_type, options}
    return fb.offsets([unit])


def _tensor(fb: _FlatBuffer, meta: ArtifactMetadata, name: str, description: str, value_range, norm: bool) -> int:
    """TensorMetadata{name, description, dimension_names, content, process_units, stats, ...}."""
    slots = {0: fb.b.CreateString(name), 1: fb.b.CreateString(description), 3: _image_content(fb, meta)}
    if norm:
        slots[4] = _normalization_units(fb, value_range)
    # Stats{max, min}
    slots[5] = fb.table(2, {0: fb.floats([value_range[1]] * 3), 1: fb.floats([value_range[0]] * 3)})
    return fb.table(7, slots)


def build_model_metadata(meta: ArtifactMetadata, input_name: str = "image", output_name: str = "stylized") -> bytes:
    """The TFLite ModelMetadata flatbuffer (identifier M001) describing a stylelite artifact."""
    fb = _FlatBuffer()
    lo, hi = meta.input_range
    olo, ohi = meta.output_range
    size = f"{meta.width}x{meta.height}" if meta.height else f"any size (multiples of {meta.stride})"
    in_desc = f"{meta.color} image, {size}, {meta.layout}; values in [{lo:g}, {hi:g}] (normalize pixels with mean/std)"
    out_desc = (
        f"stylized {meta.color} image, {meta.layout}; values in [{olo:g}, {ohi:g}]: "
        f"pixel = (value - {olo:g}) * {255.0 / (ohi - olo):g}"
    )
    in_o = _tensor(fb, meta, input_name, in_desc, meta.input_range, True)
    out_o = _tensor(fb, meta, output_name, out_desc, meta.output_range, False)
    # SubGraphMetadata{name, description, input_tensor_metadata, output_tensor_metadata, ...}
    subgraphs_o = fb.offsets([fb.table(7, {2: fb.offsets([in_o]), 3: fb.offsets([out_o])})])
    teacher = f", distilled from {meta.teacher}" if meta.teacher else ""
    styles = f"; styles: {', '.join(meta.styles)}" if meta.styles else ""
    strings = {
        0: meta.model,
        1: f"stylelite style-transfer model {meta.model} ({meta.precision}{teacher}){styles}",
        2: meta.weights or meta.exported_by or "1",
        4: meta.exported_by or "stylelite",
        5: meta.license or None,
        7: METADATA_PARSER_VERSION,
    }
    slots = {slot: fb.b.CreateString(s) for slot, s in strings.items() if s}
    # ModelMetadata{name, description, version, subgraph_metadata, author, license, files, min_parser}
    root = fb.table(8, {**slots, 3: subgraphs_o})
    fb.b.Finish(root, file_identifier=b"M001")
    return bytes(fb.b.Output())


def embed_tflite_metadata(path: str | Path, meta: ArtifactMetadata) -> Path:
    """Attach TFLITE_METADATA and stylelite's JSON to the .tflite at `path` (replacing older ones), atomically."""
    import flatbuffers
    import numpy as np
    from ai_edge_litert import schema_py_generated as schema

    path = Path(path)
    model = schema.ModelT.InitFromPackedBuf(bytearray(path.read_bytes()), 0)
    entries = {
        TFLITE_METADATA: build_model_metadata(meta),
        STYLELITE_METADATA: meta.to_json().encode("utf-8"),
    }
    model.metadata = [m for m in (model.metadata or []) if _name(m) not in entries]
    for name, data in entries.items():
        buf = schema.BufferT()
        buf.data = np.frombuffer(data, dtype=np.uint8)
        model.buffers.append(buf)
        entry = schema.MetadataT()
        entry.name, entry.buffer = name, len(model.buffers) - 1
        model.metadata.append(entry)
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    with atomic_path(path) as tmp:
        tmp.write_bytes(b.Output())
    return path


def _name(entry) -> str:
    return entry.name.decode() if isinstance(entry.name, bytes) else entry.name
