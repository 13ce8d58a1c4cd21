"""What a loaded model is, as one frozen record: built once where a model is created or loaded and
passed explicitly to whatever needs it (export, the torch engine), never read back off the module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torch import nn

from stylelite.models.registry import ModelCard
from stylelite.runtime.engines.recurrent import PREV_OUTPUT_INPUT, RECURRENT_KEY


@dataclass(frozen=True)
class ModelIdentity:
    """A model's name and provenance, and how to feed it.

    Attributes:
        name: the registered architecture (`mobilegen_s_050`).
        family: its family (`mobilegen`, `cyclegan_resnet`).
        weights: where its weights came from: `name.tag` for shipped weights, `arch:file` for a file,
            `arch (untrained)` for none.
        teacher: the teacher a student was distilled from ("" for anything else).
        qat: the QAT record of a quantization-aware-trained student ("" for none).
        styles: style names of a style-conditioned model (extra inputs style_weights/strength).
        recurrent: the name of the state input of a recurrent model (`prev_output`), or "".
    """

    name: str
    family: str
    weights: str
    input_range: tuple[float, float] = (-1.0, 1.0)
    output_range: tuple[float, float] = (-1.0, 1.0)
    layout: str = "NCHW"
    color: str = "RGB"
    stride: int = 4
    resolution: int = 256
    teacher: str = ""
    qat: str = ""
    styles: tuple[str, ...] = ()
    recurrent: str = ""

    @classmethod
    def of(cls, model: nn.Module, card: ModelCard, weights: str, teacher: str = "", qat: str = "") -> ModelIdentity:
        """The identity of `model` (built from `card`) with weights from `weights`."""
        styles = tuple(card.extra.get("styles") or ()) if hasattr(model, "forward_styled") else ()
        recurrent = PREV_OUTPUT_INPUT if card.extra.get(RECURRENT_KEY) == PREV_OUTPUT_INPUT else ""
        return cls(
            name=card.name,
            family=card.family,
            weights=weights,
            input_range=tuple(card.input_range),
            output_range=tuple(card.output_range),
            layout=card.layout,
            color=card.color,
            stride=card.stride,
            resolution=card.resolution,
            teacher=teacher,
            qat=qat,
            styles=styles,
            recurrent=recurrent,
        )


def weights_label(arch: str, tag: str, checkpoint: str | Path | None) -> str:
    """How an identity names its weights: `arch.tag`, `arch:file.safetensors` or `arch (untrained)`."""
    if tag:
        return f"{arch}.{tag}"
    return f"{arch}:{Path(checkpoint).name}" if checkpoint is not None else f"{arch} (untrained)"
