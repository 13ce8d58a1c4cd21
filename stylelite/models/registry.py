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
# "arch.tag" -> models/packaged.PackagedTeacher: weights inside another registry package (an optional extra)
PACKAGED: dict = {}
PRETRAINED_CARDS: dict[str, dict[str, str]] = {}  # name.tag -> card lines of those shipped weights

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"


@dataclass(frozen=True)
class ModelCard:
    """What a user and the exporter need to know to feed a model.

    Attributes:
        styles: the style names of a style-conditioned model (it has `forward_styled`), else ().
        recurrent: the state input of a recurrent model (`prev_output`: called as `model(x, prev)`), or "".
        extra: notes for people (width, norm, ...); nothing reads a capability from it.
    """

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
    styles: tuple[str, ...] = ()
    recurrent: str = ""
    extra: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "input_range", tuple(float(v) for v in self.input_range))
        object.__setattr__(self, "output_range", tuple(float(v) for v in self.output_range))
        object.__setattr__(self, "styles", tuple(self.styles))


def register_teacher(fn=None, /, **card):
    """`@register_teacher`, or `@register_teacher(family=..., stride=..., ...)` to declare the model's card
    where it is registered (see register_student)."""
    return _register(TEACHERS, fn, card)


def register_student(fn=None, /, **card):
    """`@register_student`, or `@register_student(family="mobilegen", stride=4, ...)`: the keywords are the
    ModelCard's fields but the name, which is the function's. A declared card is readable without building
    the model (`STUDENTS.get(name).card`) and is attached to every model the builder returns that carries
    none of its own: a builder whose options change the card (a checkpoint's variant) attaches the declared
    card refined (`dataclasses.replace`); a builder registered without one attaches its own (`.card` is None
    until built)."""
    return _register(STUDENTS, fn, card)


def _register(registry: Registry, fn, card: dict):
    import functools

    def register(fn):
        declared = ModelCard(name=fn.__name__, **card) if card else None

        @functools.wraps(fn)
        def build(*args, **kwargs):
            model = fn(*args, **kwargs)
            if declared is not None and vars(model).get("card") is None:  # not refined by the builder
                model.card = declared
            return model

        build.card = declared
        registry.add(fn.__name__, build)
        return build

    return register(fn) if fn is not None else register


def register_pretrained(name: str, filename: str, description: str, license: str = "", source: str = "") -> None:
    """Shipped weights `name` = `arch.tag` in models/weights/`filename`; `license` and `source` replace the
    architecture's card lines on the loaded model (weights distilled from a third-party teacher carry its terms)."""
    arch = name.split(".", 1)[0]
    if arch not in TEACHERS and arch not in STUDENTS:
        raise ValueError(f"pretrained tag {name!r} names no registered model")
    PRETRAINED[name] = (WEIGHTS_DIR / filename, description)
    if license or source:
        PRETRAINED_CARDS[name] = {k: v for k, v in (("license", license), ("source", source)) if v}


def all_models() -> dict:
    """name -> builder of every registered teacher, then every student (what a checkpoint may fit)."""
    return {**{n: TEACHERS.get(n) for n in TEACHERS.names()}, **{n: STUDENTS.get(n) for n in STUDENTS.names()}}


def create_teacher(name: str, checkpoint: str | Path | None = None, key_map: tuple = ()):
    """Build a teacher by name; load `checkpoint` (its keys renamed by `key_map`, models/key_map.py;
    builder options such as dropout read off its keys) or the shipped weights of `name.tag`, or the
    weights of a packaged teacher (`multistyle26.magenta[.STYLE]`, `cyclegan_r9.vintagify`; models/packaged.py)."""
    packaged = resolve_packaged(name) if checkpoint is None else None
    if packaged is not None:
        entry, style = packaged
        return entry.build(style)
    return _create(TEACHERS, name, checkpoint, key_map=key_map)


def resolve_packaged(name: str) -> tuple | None:
    """(PackagedTeacher, style) for `arch.tag`, or `arch.tag.STYLE` of a style-conditioned one; else None."""
    if name in PACKAGED:
        return PACKAGED[name], ""
    base, _, style = name.rpartition(".")
    if base in PACKAGED and PACKAGED[base].graph_card:
        if not style:  # `arch.tag.`: a style left out, not "the first style"
            styles = PACKAGED[base].styles
            raise UnknownNameError(f"{name!r} ends with '.': add a style ({styles[0]} .. {styles[-1]}) or drop the dot")
        return PACKAGED[base], style
    return None


def weights_file(name: str) -> Path | None:
    """The weights file behind a registered `arch.tag` (shipped or packaged; None when neither)."""
    if name in PRETRAINED:
        return PRETRAINED[name][0]
    packaged = resolve_packaged(name)
    if packaged is None:
        return None
    from stylelite.runtime.corpus import locate

    return locate(packaged[0].item)


def create_student(name: str, checkpoint: str | Path | None = None, **kwargs):
    """Build a student by name (optionally loading a checkpoint)."""
    return _create(STUDENTS, name, checkpoint, **kwargs)


def _create(registry: Registry, name: str, checkpoint, key_map: tuple = (), **kwargs):
    from stylelite.models.checkpoints import apply_activation_bounds, load_weights, read_state_dict

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
            tags = [p for p in (*PRETRAINED, *PACKAGED) if p.startswith(arch + ".")]
            raise UnknownNameError(
                f"no shipped weights {name!r} (shipped: {', '.join(tags) or 'none'}); "
                f"pass the file instead: --checkpoint PATH"
            )
        if checkpoint is None:
            checkpoint = PRETRAINED[name][0]
    if checkpoint is not None:
        load_weights(model, checkpoint, candidates=all_models(), state=state)
        apply_activation_bounds(model, checkpoint)
    if tag and name in PRETRAINED_CARDS:
        if hasattr(model, "card_lines"):  # a style-conditioned student: its card is computed (its style names)
            model.card_lines = dict(PRETRAINED_CARDS[name])
        elif vars(model).get("card") is not None:
            import dataclasses

            model.card = dataclasses.replace(model.card, **PRETRAINED_CARDS[name])
    return model.eval()
