"""`stylelite export other.onnx --card card.toml -o stamped.onnx`: stylelite's metadata added to a
graph stylelite did not make (ONNX or TFLite), so `run`, `bench` and `serve` know how to feed it.

The card (models/graph_teacher.GraphCard: value ranges, layout, colour order, stride) is checked on a
real photo first (the output must be an image of the input's size inside the card's output range),
the metadata is written into a copy (the original is never touched), and the copy is verified: a test
frame through the runtime that will play it must equal the original graph run as the card says.
A card whose ranges contradict what the graph returns on that photo (a [-1, 1] graph stamped 0..255,
or fed 0..255 and saturating) is refused, and so is a file that already carries stylelite metadata
(its own export, or an earlier stamp) unless `restamp=True` (--restamp) asks to replace it.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import numpy as np

from stylelite.runtime.errors import ExportError, InputError, StyleliteError
from stylelite.runtime.metadata import MAX_STRIDE, METADATA_KEY

SATURATED = 0.5  # the share of output values at the ends of output_range a plausible picture stays under
MIN_USE = 0.01  # the share of output_range a graph's output must span on a real photo


def stamp_graph(
    src: str | Path, card_specs: tuple[str, ...], output: str | Path, restamp: bool = False
) -> tuple[Path, float]:
    """Write `src` with stylelite metadata from `card_specs` to `output`; returns (output, PSNR dB of the
    stamped copy through the runtime against the original).

    Args:
        card_specs: GraphCard specs (TOML files, `key=value`); a TFLite graph is NHWC unless they say otherwise.
        restamp: replace the stylelite metadata `src` already carries (refused without it).
    """
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
    _refuse_stamped(src, kind, restamp)
    if kind == "onnx":
        _check_external_data(src)
    card = GraphCard.parse(("layout=NHWC", *card_specs) if kind == "tflite" else card_specs)
    if kind == "tflite" and card.layout != "NHWC":
        raise ExportError(f"{src.name}: the LiteRT engine feeds TFLite graphs NHWC; drop layout={card.layout}")
    if not 1 <= card.stride <= MAX_STRIDE:  # the test frame is a multiple of the stride
        raise ExportError(f"stride={card.stride}: use a whole number from 1 to {MAX_STRIDE}")
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
    _check_ranges(teacher, frame)
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


def _refuse_stamped(src: Path, kind: str, restamp: bool) -> None:
    """ExportError when `src` already carries stylelite metadata and `restamp` is not set."""
    if restamp:
        return
    meta = _existing_metadata(src, kind)
    if meta is None:
        return
    try:
        from stylelite.runtime.metadata import ArtifactMetadata

        what = ArtifactMetadata.from_json(meta, source=src.name)
        own = not what.is_stamped
        desc = f"{what.model}, {'exported by ' + what.exported_by if own else 'stamped from ' + what.stamped_from}"
    except StyleliteError:
        own, desc = False, "unreadable"
    kind_of = "stylelite's own export: its metadata was written by the exporter" if own else "already stamped"
    raise ExportError(
        f"{src.name} already carries stylelite metadata ({desc}; {kind_of}): it runs as it is (stylelite run "
        f"{src.name}); to replace its metadata with this card anyway, add --restamp"
    )


def _existing_metadata(src: Path, kind: str) -> str | bytes | None:
    from stylelite.runtime.tflite_file import STYLELITE_METADATA, metadata_entries

    if kind == "tflite":
        return metadata_entries(src).get(STYLELITE_METADATA)
    import onnx

    try:
        proto = onnx.load(str(src), load_external_data=False)
    except Exception as exc:  # protobuf's DecodeError and friends
        raise ExportError(f"{src.name} is not a readable ONNX model: {str(exc)[:160]}") from None
    return next((p.value for p in proto.metadata_props if p.key == METADATA_KEY), None)


def _check_external_data(src: Path) -> None:
    """ExportError (one line) for ONNX weights stored outside the graph's folder (an absolute path or ..)."""
    import onnx
    from onnx.external_data_helper import ExternalDataInfo, uses_external_data

    proto = onnx.load(str(src), load_external_data=False)
    folder = src.resolve().parent
    for tensor in proto.graph.initializer:
        if not uses_external_data(tensor):
            continue
        location = ExternalDataInfo(tensor).location
        target = (folder / location).resolve()
        if Path(location).is_absolute() or not target.is_relative_to(folder):
            raise ExportError(
                f"{src.name} keeps its weights outside its folder ({location!r}): refused; put the data file "
                "beside the graph"
            )
        if not target.is_file():
            raise ExportError(f"{src.name} keeps its weights in {location!r}, which is missing beside it")


def _check_ranges(teacher, frame: np.ndarray) -> None:
    """ExportError when the card's ranges contradict what the graph returns on `frame`: an output that
    uses under MIN_USE of output_range (a [-1, 1] graph stamped output_range=0,255), or one pinned to the
    range's ends (a [-1, 1] graph fed 0..255 saturates)."""
    import torch

    from stylelite.models.tensors import to_tensor

    card = teacher.graph_card
    with torch.no_grad():
        y = teacher(to_tensor(frame, card.input_range)).float()
    lo, hi = card.output_range
    span = hi - lo
    y_lo, y_hi = float(y.min()), float(y.max())
    name = teacher.path.name
    if (y_hi - y_lo) < MIN_USE * span:
        raise ExportError(
            f"{name} returns values in [{y_lo:.3g}, {y_hi:.3g}] on a real photo: under {MIN_USE:.0%} of the card's "
            f"output_range {list(card.output_range)}; give the graph's own range, e.g. "
            f"output_range={_round_range(y_lo, y_hi)}"
        )
    edge = 0.002 * span
    out_pinned = float(((y <= lo + edge) | (y >= hi - edge)).float().mean())
    in_pinned = float(((frame <= 0) | (frame >= 255)).mean())
    if out_pinned > max(SATURATED, 2 * in_pinned):
        raise ExportError(
            f"{name} returns {out_pinned:.0%} of its values at the ends of output_range {list(card.output_range)} on a "
            f"real photo: it saturates, so the card's input_range {list(card.input_range)} (or output_range) is not "
            "the graph's; try input_range=-1,1 or input_range=0,1"
        )


def _round_range(lo: float, hi: float) -> str:
    for a, b in ((0, 1), (-1, 1), (0, 255), (-255, 255)):
        if a - 0.05 * (b - a) <= lo and hi <= b + 0.05 * (b - a):
            return f"{a},{b}"
    return f"{lo:.3g},{hi:.3g}"


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
        stamped_from=src.name,
        stamped_sha256_16=digest,
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
