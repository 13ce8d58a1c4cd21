"""What a loaded model is, as one frozen record: built once where a model is created or loaded and
passed explicitly to whatever needs it (export, the torch engine), never read back off the module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torch import nn

from stylelite.models.registry import ModelCard


@dataclass(frozen=True)
class ModelIdentity:
    """A model's card (what it is and how to feed it) and where its weights came from.

    Attributes:
        card: the model's card (name, family, ranges, layout, stride, styles, recurrent state).
        weights: where its weights came from: `name.tag` for shipped weights, `arch:file` for a file,
            `arch (untrained)` for none.
        teacher: the teacher a student was distilled from ("" for anything else).
        qat: the QAT record of a quantization-aware-trained student ("" for none).
    """

    card: ModelCard
    weights: str
    teacher: str = ""
    qat: str = ""

    @classmethod
    def of(cls, model: nn.Module, card: ModelCard, weights: str, teacher: str = "", qat: str = "") -> ModelIdentity:
        """The identity of `model` (described by `card`) with weights from `weights`."""
        return cls(card=card, weights=weights, teacher=teacher, qat=qat)

    # the card's fields, read through the identity
    name = property(lambda self: self.card.name)
    family = property(lambda self: self.card.family)
    input_range = property(lambda self: self.card.input_range)
    output_range = property(lambda self: self.card.output_range)
    layout = property(lambda self: self.card.layout)
    color = property(lambda self: self.card.color)
    stride = property(lambda self: self.card.stride)
    resolution = property(lambda self: self.card.resolution)
    styles = property(lambda self: self.card.styles)
    recurrent = property(lambda self: self.card.recurrent)
    license = property(lambda self: self.card.license)


def weights_label(arch: str, tag: str, checkpoint: str | Path | None) -> str:
    """How an identity names its weights: `arch.tag`, `arch:file.safetensors` or `arch (untrained)`."""
    if tag:
        return f"{arch}.{tag}"
    return f"{arch}:{Path(checkpoint).name}" if checkpoint is not None else f"{arch} (untrained)"
