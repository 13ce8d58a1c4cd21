"""Resolve what a user names on the command line into a model and its identity."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import NamedTuple

from torch import nn

from stylelite.models.identity import ModelIdentity, weights_label
from stylelite.models.registry import (
    PRETRAINED,
    STUDENTS,
    TEACHERS,
    create_student,
    create_teacher,
    resolve_packaged,
)
from stylelite.runtime.errors import CheckpointError, UnknownNameError

CHECKPOINT_SUFFIXES = (".safetensors", ".pth", ".pt")


class LoadedModel(NamedTuple):
    """An eval-mode model and what it is (`model, identity = load_model(...)`)."""

    model: nn.Module
    identity: ModelIdentity


def weights_metadata(path: str | Path) -> dict[str, str]:
    """The string metadata of a safetensors file ({} for other formats)."""
    path = Path(path)
    if path.suffix != ".safetensors" or not path.is_file():
        return {}
    from safetensors import safe_open

    try:
        with safe_open(str(path), "pt") as f:
            return dict(f.metadata() or {})
    except Exception as exc:
        raise CheckpointError(f"{path.name} is not a readable safetensors file: {exc}") from None


def load_model(
    spec: str | Path,
    checkpoint: str | Path | None = None,
    key_map: tuple = (),
    card: tuple = (),
    device: str = "cpu",
    trust_graph_code: bool = False,
) -> LoadedModel:
    """`spec` is a registered name (`mobilegen_s_050`, `cyclegan_r9_bn.cartoon`) or a weights file
    written by stylelite (its metadata names the architecture). `key_map`: `--key-map` rules (strings or
    parsed, models/key_map.py) for a fork's checkpoint. An exported graph (ONNX, TorchScript, .pt2, TFLite)
    loads as a GraphTeacher fed as `card` says (GraphCard.parse specs); a TorchScript or .pt2 program runs its
    author's code, so it loads only with `trust_graph_code=True`. Returns the model and its identity."""
    from stylelite.models.graph_teacher import GraphCard, GraphTeacher, graph_kind

    kind = graph_kind(spec) if checkpoint is None else None
    if kind:
        specs = ("layout=NHWC", *card) if kind == "tflite" else tuple(card)  # TFLite images are NHWC unless said
        model = GraphTeacher(spec, GraphCard.parse(specs), device=device, trust_graph_code=trust_graph_code)
        return LoadedModel(model, ModelIdentity.of(model, model.card, Path(spec).name))
    packaged = resolve_packaged(str(spec)) if checkpoint is None else None
    if packaged is not None:  # a teacher from an optional extra (models/packaged.py)
        entry, style = packaged
        model = entry.build(style, card=tuple(card), device=device)
        return LoadedModel(model, ModelIdentity.of(model, model.card, str(spec)))
    from stylelite.models.key_map import parse_key_map

    rules = parse_key_map([r for r in key_map if isinstance(r, str)]) + tuple(
        r for r in key_map if not isinstance(r, str)
    )
    path = Path(spec)
    if path.suffix in CHECKPOINT_SUFFIXES or path.is_file():
        meta = weights_metadata(path)
        arch = meta.get("model") or meta.get("teacher")
        if not arch:
            raise CheckpointError(
                f"{path.name} does not say which model it holds; name the architecture and pass the "
                f"file: MODEL --checkpoint {path}"
            )
        model, identity = load_model(arch, checkpoint=path, key_map=rules)
        return LoadedModel(
            model,
            ModelIdentity.of(model, model.card, identity.weights, meta.get("distilled_from", ""), meta.get("qat", "")),
        )
    spec = str(spec)
    arch, _, tag = spec.partition(".")
    if arch in TEACHERS:
        model = create_teacher(spec, checkpoint=checkpoint, key_map=rules)
    elif arch in STUDENTS:
        model = create_student(spec, checkpoint=checkpoint, key_map=rules)
    else:
        from stylelite.models.registry import PACKAGED

        known = TEACHERS.names() + sorted(PACKAGED) + STUDENTS.names()
        close = difflib.get_close_matches(spec if "." in spec else arch, known, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownNameError(f"unknown model {spec!r}{hint} (known: {', '.join(known)})")
    teacher = ""
    if tag and checkpoint is None and spec in PRETRAINED:  # shipped student weights name their teacher
        teacher = weights_metadata(PRETRAINED[spec][0]).get("distilled_from", "")
    return LoadedModel(model, ModelIdentity.of(model, model.card, weights_label(arch, tag, checkpoint), teacher))
