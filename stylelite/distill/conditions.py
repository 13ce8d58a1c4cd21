"""Style conditions for distilling a style-conditioned teacher into a style-conditioned student.

A condition is what the runtime's controls produce (runtime/style_control.py): per-style weights
summing to 1 and a strength in [0, 1]. Each teacher-labelled crop gets one condition, drawn so the
student sees every control a user can set: half the crops one style at full strength, a quarter a
blend of two styles at a uniform mix, a quarter one style at a uniform strength.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import torch

from stylelite.runtime.errors import ConfigError

if TYPE_CHECKING:
    from stylelite.distill.distill_config import DistillConfig


def teacher_styles(teacher) -> tuple[str, ...]:
    """The style names of a style-conditioned teacher (its card lists them, and it has `forward_styled`:
    the multistyle network, a graph teacher with `style_input`), else ()."""
    return tuple(teacher.card.styles)


def sample_conditions(n_styles: int, count: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """`count` conditions: float32 weights [count, n_styles] (rows sum to 1) and strengths [count]."""
    weights = np.zeros((count, n_styles), np.float32)
    strength = np.ones(count, np.float32)
    kind = rng.random(count)
    first = rng.integers(n_styles, size=count)
    for i in range(count):
        weights[i, first[i]] = 1.0
        if kind[i] >= 0.75:
            strength[i] = rng.random()
        elif kind[i] >= 0.5 and n_styles > 1:
            other = (first[i] + 1 + rng.integers(n_styles - 1)) % n_styles
            mix = rng.random()
            weights[i, first[i]], weights[i, other] = 1.0 - mix, mix
    return torch.from_numpy(weights), torch.from_numpy(strength)


def check_styled_pair(teacher_name: str, styles: tuple[str, ...], student) -> None:
    """ConfigError (one line) unless a style-conditioned student meets a style-conditioned teacher with
    no more styles than it holds. (A one-style student of a style-conditioned teacher learns its first
    style at full strength: the fastest student, and the one TFLite and int8 exports take.)"""
    name = student.card.name
    if not student.card.styles:  # a one-style student (a style-conditioned one names its style slots)
        return
    if not styles:
        raise ConfigError(f"{name} takes style inputs but {teacher_name} has one style: use --student mobilegen_s_050")
    if len(styles) > student.slots:
        raise ConfigError(f"{teacher_name} has {len(styles)} styles; {name} holds at most {student.slots}")


def refuse_for_styles(c: DistillConfig) -> None:
    """ConfigError for the options a style-conditioned distillation does not take (yet)."""
    if c.qat:
        raise ConfigError("style-conditioned students export to ONNX fp32/fp16 only, so --qat does not apply")
    if c.w_adversarial:
        raise ConfigError(
            "the discriminator does not see the style condition: distil a style-conditioned teacher with "
            "--w-adversarial 0"
        )
