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


def build_model_metadata(meta: ArtifactMetadata, input_name: str = "image", output_name: str = "stylized") -> bytes:
    """The TFLite ModelMetadata flatbuffer (identifier M001) describing a stylelite artifact."""
    import flatbuffers

    b = flatbuffers.Builder(1024)

    def floats(values) -> int:
        b.StartVector(4, len(values), 4)
        for v in reversed(values):
            b.PrependFloat32(float(v))
        return b.EndVector()

    def offsets(items: list[int]) -> int:
        b.StartVector(4, len(items), 4)
        for o in reversed(items):
            b.PrependUOffsetTRelative(o)
        return b.EndVector()

    def tensor(name: str, description: str, value_range, with_norm: bool) -> int:
        name_o, desc_o = b.CreateString(name), b.CreateString(description)
        size_o = None
        if meta.height and meta.width:
            b.StartObject(2)  # ImageSize{width, height}
            b.PrependUint32Slot(0, meta.width, 0)
            b.PrependUint32Slot(1, meta.height, 0)
            size_o = b.EndObject()
        b.StartObject(2)  # ImageProperties{color_space, default_size}
        b.PrependInt8Slot(0, _COLOR_RGB, 0)
        if size_o is not None:
            b.PrependUOffsetTRelativeSlot(1, size_o, 0)
        image_o = b.EndObject()
        b.StartObject(3)  # Content{content_properties_type, content_properties, range}
        b.PrependUint8Slot(0, _CONTENT_IMAGE_PROPERTIES, 0)
        b.PrependUOffsetTRelativeSlot(1, image_o, 0)
        content_o = b.EndObject()
        units_o = None
        if with_norm:
            mean, std = normalization(value_range)
            mean_o, std_o = floats([mean] * 3), floats([std] * 3)
            b.StartObject(2)  # NormalizationOptions{mean, std}
            b.PrependUOffsetTRelativeSlot(0, mean_o, 0)
            b.PrependUOffsetTRelativeSlot(1, std_o, 0)
            norm_o = b.EndObject()
            b.StartObject(2)  # ProcessUnit{options_type, options}
            b.PrependUint8Slot(0, _PROCESS_NORMALIZATION, 0)
            b.PrependUOffsetTRelativeSlot(1, norm_o, 0)
            units_o = offsets([b.EndObject()])
        max_o, min_o = floats([value_range[1]] * 3), floats([value_range[0]] * 3)
        b.StartObject(2)  # Stats{max, min}
        b.PrependUOffsetTRelativeSlot(0, max_o, 0)
        b.PrependUOffsetTRelativeSlot(1, min_o, 0)
        stats_o = b.EndObject()
        b.StartObject(7)  # TensorMetadata{name, description, dimension_names, content, process_units, stats, ...}
        b.PrependUOffsetTRelativeSlot(0, name_o, 0)
        b.PrependUOffsetTRelativeSlot(1, desc_o, 0)
        b.PrependUOffsetTRelativeSlot(3, content_o, 0)
        if units_o is not None:
            b.PrependUOffsetTRelativeSlot(4, units_o, 0)
        b.PrependUOffsetTRelativeSlot(5, stats_o, 0)
        return b.EndObject()

    lo, hi = meta.input_range
    olo, ohi = meta.output_range
    size = f"{meta.width}x{meta.height}" if meta.height else f"any size (multiples of {meta.stride})"
    in_o = tensor(
        input_name,
        f"{meta.color} image, {size}, {meta.layout}; values in [{lo:g}, {hi:g}] (normalize pixels with mean/std)",
        meta.input_range,
        True,
    )
    out_o = tensor(
        output_name,
        f"stylized {meta.color} image, {meta.layout}; values in [{olo:g}, {ohi:g}]: "
        f"pixel = (value - {olo:g}) * {255.0 / (ohi - olo):g}",
        meta.output_range,
        False,
    )
    inputs_o, outputs_o = offsets([in_o]), offsets([out_o])
    b.StartObject(7)  # SubGraphMetadata{name, description, input_tensor_metadata, output_tensor_metadata, ...}
    b.PrependUOffsetTRelativeSlot(2, inputs_o, 0)
    b.PrependUOffsetTRelativeSlot(3, outputs_o, 0)
    subgraphs_o = offsets([b.EndObject()])
    teacher = f", distilled from {meta.teacher}" if meta.teacher else ""
    styles = f"; styles: {', '.join(meta.styles)}" if meta.styles else ""
    strings = {
        0: meta.model,
        1: f"stylelite style-transfer model {meta.model} ({meta.precision}{teacher}){styles}",
        2: meta.weights or meta.exported_by or "1",
        4: meta.exported_by or "stylelite",
        5: str(meta.extra.get("license", "")) or None,
        7: METADATA_PARSER_VERSION,
    }
    string_o = {slot: b.CreateString(s) for slot, s in strings.items() if s}
    b.StartObject(8)  # ModelMetadata{name, description, version, subgraph_metadata, author, license, files, min_parser}
    for slot, o in string_o.items():
        b.PrependUOffsetTRelativeSlot(slot, o, 0)
    b.PrependUOffsetTRelativeSlot(3, subgraphs_o, 0)
    b.Finish(b.EndObject(), file_identifier=b"M001")
    return bytes(b.Output())


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
