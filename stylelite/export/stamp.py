"""`stylelite export other.onnx --card card.toml -o stamped.onnx`: stylelite's metadata added to a
graph stylelite did not make (ONNX or TFLite), so `run`, `bench` and `serve` know how to feed it.

The card (models/graph_teacher.GraphCard: value ranges, layout, colour order, stride) is checked on a
real photo first (the output must be an image of the input's size inside the card's output range),
the metadata is written into a copy (the original is never touched), and the copy is verified: a test
frame through the runtime that will play it must equal the original graph run as the card says.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np

from stylelite.runtime.errors import ExportError, InputError


def stamp_graph(src: str | Path, card_specs: tuple[str, ...], output: str | Path) -> tuple[Path, float]:
    """Write `src` with stylelite metadata from `card_specs` to `output`; returns (output, PSNR dB of the
    stamped copy through the runtime against the original)."""
    import os

    from stylelite.export.api import check_output_writable
    from stylelite.models.graph_teacher import GraphCard, GraphTeacher, graph_kind, probe_graph_teacher
    from stylelite.runtime.files import replace_into

    src, output = Path(src), Path(output)
    kind = graph_kind(src)
    if kind not in ("onnx", "tflite"):
        raise ExportError(f"{src.name}: --card stamps ONNX and TFLite files; this is not one")
    if output.resolve() == src.resolve():
        raise ExportError(f"-o {output} is the original: write the stamped copy to another file")
    check_output_writable(output)
    card = GraphCard.parse(card_specs)
    if card.inputs:
        raise ExportError(
            "the runtime feeds one image input; a graph that needs constant extra inputs cannot be stamped"
        )
    if card.style_input:
        raise ExportError(
            "the runtime feeds style controls to inputs named style_weights and strength; distil a style-conditioned "
            "graph into --student mobilegen_styled_s_050 instead of stamping it"
        )
    teacher = GraphTeacher(src, card)
    frame = _test_frame(teacher.fixed_size, card.stride)
    probe_graph_teacher(teacher, frame)  # a wrong range or layout fails here, in one line
    meta = _metadata(src, kind, card, teacher.fixed_size)
    fd, name = tempfile.mkstemp(prefix=f".{output.stem}.", suffix=f".unverified{output.suffix}", dir=output.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        _write(src, tmp, kind, meta)
        psnr = _verify(teacher, tmp, frame)
        replace_into(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return output, psnr


def _test_frame(fixed: tuple[int, int] | None, stride: int) -> np.ndarray:
    """A real photo (the data extra's first), resized to the graph's fixed size or a square multiple of
    its stride; a synthetic textured frame where the data extra is not installed."""
    import cv2

    from stylelite.runtime.corpus import photo_paths
    from stylelite.runtime.video import read_image

    side = max(128, -(-128 // stride) * stride)
    h, w = fixed if fixed else (side, side)
    try:
        photo = read_image(next(iter(photo_paths().values())))
    except (ImportError, InputError, OSError, StopIteration):  # no data extra: a textured stand-in
        rng = np.random.default_rng(0)
        photo = cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), dtype=np.uint8), (5, 5), 0)
    return cv2.resize(photo, (w, h), interpolation=cv2.INTER_AREA)


def _metadata(src: Path, kind: str, card, fixed):
    from stylelite.runtime.metadata import ArtifactMetadata

    digest = hashlib.sha256(src.read_bytes()).hexdigest()[:16]
    h, w = fixed if fixed else (None, None)
    return ArtifactMetadata(
        model=src.stem,
        weights=src.name,
        input_range=card.input_range,
        output_range=card.output_range,
        layout="NHWC" if kind == "tflite" else card.layout,
        color=card.color,
        stride=card.stride,
        height=h,
        width=w,
        exported_by="stamped by stylelite (metadata only; the graph is the original's)",
        extra={"stamped_from": src.name, "sha256_16": digest},
    )


def _write(src: Path, tmp: Path, kind: str, meta) -> None:
    if kind == "onnx":
        import onnx

        from stylelite.export.torch2onnx import embed_metadata

        proto = onnx.load(str(src))
        producer = proto.producer_name
        meta = _with_opset(meta, proto)
        embed_metadata(proto, meta)
        proto.producer_name = producer  # the graph is still the original producer's
        onnx.save(proto, str(tmp))
    else:
        import shutil

        from stylelite.export.tflite_metadata import embed_tflite_metadata

        shutil.copyfile(src, tmp)
        embed_tflite_metadata(tmp, meta)


def _with_opset(meta, proto):
    import dataclasses

    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), None)
    return dataclasses.replace(meta, opset=opset)


def _verify(teacher, stamped: Path, frame: np.ndarray) -> float:
    """The stamped copy through the runtime against the original graph run as its card says."""
    from stylelite.models.tensors import to_tensor, to_uint8
    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.metrics import psnr

    card = teacher.graph_card
    reference = to_uint8(teacher(to_tensor(frame, card.input_range)), card.output_range)[0]
    got = load_engine(stamped).stylize(frame)
    score = psnr(got, reference)
    if score < 50.0:
        raise ExportError(
            f"the stamped copy plays back at {score:.1f} dB against the original (needs 50): the runtime reads "
            "its card differently; check layout, color and the ranges"
        )
    return score
