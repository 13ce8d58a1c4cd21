"""The distillation losses, one table (a criterion map, as TensorRT Model Optimizer's `KDLossConfig.criterion`):
name -> the DistillConfig weight field that scales it (0 turns it off) -> the function that computes it.

The table drives everything a loss touches: DistillConfig gets one float field per entry (checked finite and
>= 0), `stylelite distill` one `--w-NAME` option, DistillTrainer adds weight x term to the student's loss and
logs the term, and student.safetensors records the weight. Adding a loss is one function here (it gets the
trainer and the step's batch) and one `Criterion` in CRITERIA.

The recurrent student's second-frame terms are not entries: they reuse w_pixel and w_temporal
(DistillTrainer._recurrent_terms).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch

from stylelite.distill.losses import (
    adversarial_loss,
    color_loss,
    pixel_loss,
    random_affine_flow,
    single_frame_loss,
    ssim_loss,
)

# when a weight is 0, what log.jsonl gets for its term
COMPUTE, ZERO, SKIP = "compute", "zero", "skip"
# what student.safetensors' metadata records of a weight
ALWAYS, WHEN_ON, NEVER = "always", "on", "never"


@dataclass(frozen=True)
class StepBatch:
    """What a step's terms see: input crops x [B,3,H,W], the teacher's outputs y_t and features f_t (by tap),
    the student's outputs y_s and features f_s."""

    x: torch.Tensor
    y_t: torch.Tensor
    f_t: dict[str, torch.Tensor]
    y_s: torch.Tensor
    f_s: dict[str, torch.Tensor]


@dataclass(frozen=True)
class Criterion:
    """One loss: `term(trainer, batch)` -> a scalar, weighted by DistillConfig.<weight>.

    Attributes:
        name: the term's key in log.jsonl and the progress bar.
        weight: the DistillConfig field (and `--w-...` option) that scales it; 0 turns it off.
        default: the weight's default.
        term: (DistillTrainer, StepBatch) -> scalar tensor.
        help: what it does and a useful weight range (the option's help).
        when_off: with weight 0: compute (computed, logged and weighted anyway), zero (logged as 0),
            skip (not logged).
        record: student.safetensors metadata: always, on (when the weight is not 0), never.
        setup: builds what the term needs on the trainer (a frozen network, a discriminator and its optimizer),
            called once when the weight is not 0.
    """

    name: str
    weight: str
    default: float
    term: Callable[[Any, StepBatch], torch.Tensor]
    help: str
    when_off: str = SKIP
    record: str = WHEN_ON
    setup: Callable[[Any], None] | None = None


def _pixel(t, b: StepBatch) -> torch.Tensor:
    return pixel_loss(b.y_s, b.y_t)


def _feature(t, b: StepBatch) -> torch.Tensor:
    return t.adapters({k: b.f_s[k] for k in t.taps}, b.f_t)


def _color(t, b: StepBatch) -> torch.Tensor:
    return color_loss(b.y_s, b.y_t)


def _ssim(t, b: StepBatch) -> torch.Tensor:
    return ssim_loss(b.y_s, b.y_t)


def _perceptual(t, b: StepBatch) -> torch.Tensor:
    n = t.config.perceptual_batch
    return t.perceptual(b.y_s[:n], b.y_t[:n])


def _gram(t, b: StepBatch) -> torch.Tensor:
    n = t.config.perceptual_batch
    return t.gram(b.y_s[:n], b.y_t[:n])


def _adversarial(t, b: StepBatch) -> torch.Tensor:
    return adversarial_loss(t.disc, b.x, b.y_s)


def _temporal(t, b: StepBatch) -> torch.Tensor:
    return t.temporal_pairs_loss()


def _long_term(t, b: StepBatch) -> torch.Tensor:
    return t.long_term_pairs_loss()


def _single_frame(t, b: StepBatch) -> torch.Tensor:
    xs = b.x[: t.config.temporal_batch]
    flow, mask = (v.to(xs.device) for v in random_affine_flow(len(xs), xs.shape[-2], xs.shape[-1], t.sf_gen))
    with t.styled(len(xs)):
        return single_frame_loss(t.student, xs, flow, mask, out=b.y_s[: len(xs)])


def _start_self(t, b: StepBatch) -> torch.Tensor:
    with torch.no_grad(), t.styled(len(b.x)):
        start = t.start_model(b.x)
    return pixel_loss(b.y_s, start)


def _freeze_start(t) -> None:
    """A frozen copy of the student as it starts (its --init-from weights), the target of the `start` term."""
    import copy

    t.start_model = copy.deepcopy(t.float_model).eval().requires_grad_(False)


def _load_vgg(t) -> None:
    """The frozen VGG-19 of the perceptual and Gram terms, loaded once (not part of the saved state)."""
    from stylelite.distill.losses import GramStyleLoss, PerceptualDistillLoss
    from stylelite.distill.vgg19 import load_vgg19

    if getattr(t, "perceptual", None) is None:
        vgg = load_vgg19(t.config.vgg).to(t.device)
        t.perceptual, t.gram = PerceptualDistillLoss(vgg), GramStyleLoss(vgg)


def _add_discriminator(t) -> None:
    """A conditional PatchGAN and its optimizer, saved and resumed with the student (DistillTrainer trains it)."""
    from stylelite.models.patchgan import NLayerDiscriminator

    c = t.config
    t.disc = NLayerDiscriminator(input_nc=6, ndf=c.disc_channels, n_layers=3).to(t.device)
    t.modules["disc"] = t.disc
    group = {"params": list(t.disc.parameters()), "lr_scale": c.disc_lr_scale}
    t.optimizers["disc"] = torch.optim.Adam([group], lr=c.lr * c.disc_lr_scale, betas=(0.5, 0.999))


_FEATURE = "1x1-conv adapters onto the teacher's feature taps (0 with a label store or an exported-graph teacher)"
_PERCEPTUAL = "L1 of frozen VGG-19 activations on the first --perceptual-batch crops (--vgg); useful 0.05-0.5"
_GRAM = "L1 of Gram matrices of VGG-19 activations (relu1_2-4_4), as style networks train; useful 0.1-1"
_ADVERSARIAL = "a conditional PatchGAN (--disc-channels, --disc-lr-scale) tells teacher from student; useful 0.01-0.1"
_START = (
    "L1 to the student's own output as it started (--init-from): in QAT it keeps the float function while the "
    "rounding is learnt; useful 0.5-2"
)
_LONG_TERM = "long-term pairs (t-k -> t, k in --long-term-offsets); useful 1-10; a student pass per k"
_SINGLE_FRAME = "||f(T(x)) - T(f(x))||^2 for a small random shift/zoom/roll T (Eilertsen et al.); useful 1-10"

# name, weight field, default weight, term, help, when the weight is 0, what the student's metadata records
CRITERIA: tuple[Criterion, ...] = (
    Criterion("pixel", "w_pixel", 1.0, _pixel, "L1 of student and teacher outputs", COMPUTE, NEVER),
    Criterion("feature", "w_feature", 0.1, _feature, _FEATURE, ZERO, NEVER),
    Criterion("color", "w_color", 0.0, _color, "L1 of 8x8 block means (colour casts); useful 1-5", ZERO),
    Criterion("ssim", "w_ssim", 0.0, _ssim, "1 - SSIM of student and teacher outputs; useful 0.5-2"),
    Criterion("perceptual", "w_perceptual", 0.0, _perceptual, _PERCEPTUAL, setup=_load_vgg),
    Criterion("gram", "w_gram", 0.0, _gram, _GRAM, setup=_load_vgg),
    Criterion("adversarial", "w_adversarial", 0.0, _adversarial, _ADVERSARIAL, setup=_add_discriminator),
    Criterion("temporal", "w_temporal", 5.0, _temporal, "t-1 -> t masked output MSE; useful 1-20", ZERO, ALWAYS),
    Criterion("long_term", "w_long_term", 0.0, _long_term, _LONG_TERM, ZERO, ALWAYS),
    Criterion("single_frame", "w_single_frame", 0.0, _single_frame, _SINGLE_FRAME, ZERO, ALWAYS),
    Criterion("start", "w_start", 0.0, _start_self, _START, setup=_freeze_start),
)
LOSS_WEIGHTS: tuple[str, ...] = tuple(c.weight for c in CRITERIA)


def with_loss_weights(cls: type) -> type:
    """Add a float field per CRITERIA entry (its weight, its default) to a config class, before @dataclass."""
    annotations = cls.__dict__.get("__annotations__", {})
    for c in CRITERIA:
        annotations[c.weight] = "float"
        setattr(cls, c.weight, c.default)
    cls.__annotations__ = annotations
    return cls


def setup_criteria(trainer) -> None:
    """Build what the losses that are on need (CRITERIA's setup hooks)."""
    for c in CRITERIA:
        if c.setup is not None and getattr(trainer.config, c.weight):
            c.setup(trainer)


def weighted_loss(trainer, batch: StepBatch, zero: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """sum(weight x term) over the losses that are on, and the terms to log."""
    loss, terms = zero, {}
    for c in CRITERIA:
        w = getattr(trainer.config, c.weight)
        if w or c.when_off == COMPUTE:
            terms[c.name] = c.term(trainer, batch)
            loss = loss + w * terms[c.name]
        elif c.when_off == ZERO:
            terms[c.name] = zero
    return loss, terms


def recorded_weights(config) -> dict[str, float]:
    """The loss weights student.safetensors records."""
    return {
        c.weight: getattr(config, c.weight)
        for c in CRITERIA
        if c.record == ALWAYS or (c.record == WHEN_ON and getattr(config, c.weight))
    }
