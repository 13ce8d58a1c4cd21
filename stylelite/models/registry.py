"""Teacher and student registries, model cards and the two factories (timm style).

A registered function builds an untrained model; its name is the model name. Shipped
weights are addressed as `name.tag` (e.g. `cyclegan_r9_bn.cartoon`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stylelite.runtime.errors import UnknownNameError
from stylelite.runtime.registry import Registry

TEACHERS: Registry = Registry("teacher")
STUDENTS: Registry = Registry("student")
# "arch.tag" -> (weights file, description); files ship inside the package.
PRETRAINED: dict[str, tuple[Path, str]] = {}

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class ModelCard:
    """What a user and the exporter need to know to feed a model."""

    name: str
    family: str
    input_range: tuple[float, float] = (-1.0, 1.0)
    output_range: tuple[float, float] = (-1.0, 1.0)
    layout: str = "NCHW"
    color: str = "RGB"
    stride: int = 4  # H and W must be multiples of this (callers pad)
    resolution: int = 256  # the size it was designed/trained for
    source: str = ""
    license: str = ""
    extra: dict = field(default_factory=dict)


def register_teacher(fn):
    return TEACHERS.decorator()(fn)


def register_student(fn):
    return STUDENTS.decorator()(fn)


def register_pretrained(name: str, filename: str, description: str) -> None:
    arch = name.split(".", 1)[0]
    if arch not in TEACHERS and arch not in STUDENTS:
        raise ValueError(f"pretrained tag {name!r} names no registered model")
    PRETRAINED[name] = (WEIGHTS_DIR / filename, description)


def all_models() -> dict:
    """name -> builder of every registered teacher, then every student (what a checkpoint may fit)."""
    return {**{n: TEACHERS.get(n) for n in TEACHERS.names()}, **{n: STUDENTS.get(n) for n in STUDENTS.names()}}


def create_teacher(name: str, checkpoint: str | Path | None = None, key_map: tuple = ()):
    """Build a teacher by name; load `checkpoint` (its keys renamed by `key_map`, models/key_map.py;
    builder options such as dropout read off its keys) or the shipped weights of `name.tag`."""
    return _create(TEACHERS, name, checkpoint, key_map=key_map)


def create_student(name: str, checkpoint: str | Path | None = None, **kwargs):
    """Build a student by name (optionally loading a checkpoint)."""
    return _create(STUDENTS, name, checkpoint, **kwargs)


def _create(registry: Registry, name: str, checkpoint, key_map: tuple = (), **kwargs):
    from stylelite.models.checkpoints import load_weights, read_state_dict

    arch, _, tag = name.partition(".")
    builder = registry.get(arch)
    state = None
    if checkpoint is not None:
        state = read_state_dict(checkpoint, key_map)
        variant = getattr(builder, "variant_of", None)
        kwargs = {**(variant(state) if variant else {}), **kwargs}
    model = builder(**kwargs)
    if tag:
        if name not in PRETRAINED:
            tags = [p for p in PRETRAINED if p.startswith(arch + ".")]
            raise UnknownNameError(
                f"no shipped weights {name!r} (shipped: {', '.join(tags) or 'none'}); "
                f"pass the file instead: --checkpoint PATH"
            )
        if checkpoint is None:
            checkpoint = PRETRAINED[name][0]
    if checkpoint is not None:
        load_weights(model, checkpoint, candidates=all_models(), state=state)
    return model.eval()
