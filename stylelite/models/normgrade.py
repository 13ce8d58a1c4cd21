"""NormGrade: the residual NormGen plus a colour grade of the whole frame, for teachers that grade photos.

A photo-filter CycleGAN (vintagify) mostly applies a grade that depends on the whole frame: it turns greens
olive in a park, darkens a bright sky scene, lifts shadows in a dim one. The residual NormGen
(`normres_t_050`) sees per-image statistics only through its instance norms and adds a 1/4-resolution
drawing to its input; measured on held-out clips it keeps the input's colours where the teacher re-grades
them (docs/measurements/real-teachers.md). NormGrade adds the global path of HDRNet-style photo enhancers:
the body's features and the input's channel means and deviations, pooled over the frame, go through a small
MLP to a 3x3 colour matrix and an offset, applied to every input pixel; the residual head then adds the
local detail. Its last layer starts at zero, so an untrained NormGrade is the identity grade.
Ops added to NormGen's: ReduceMean, Gemm, Reshape, Mul, ReduceSum (the matrix as a broadcast product).
"""

from __future__ import annotations

import torch
from torch import nn

from stylelite.models.normgen import NormGen
from stylelite.models.registry import register_student
from stylelite.models.shufflegen import _card as shufflegen_card
from stylelite.models.shufflegen import channels_for_width

HIDDEN = 32


class NormGrade(NormGen):
    """NormGen (residual) with a per-image colour matrix from pooled statistics; RGB in [-1, 1]; stride 4."""

    def __init__(self, channels: int = 32, n_blocks: int = 4) -> None:
        super().__init__(channels, n_blocks, residual=True)
        self.grade = nn.Sequential(nn.Linear(channels + 6, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 12))
        nn.init.zeros_(self.grade[2].weight)  # the identity grade until it learns one
        nn.init.zeros_(self.grade[2].bias)

    def forward_core(self, x: torch.Tensor) -> torch.Tensor:
        """The exported graph: H and W must be multiples of 4."""
        h = self.blocks(self.stem(x))
        mean = x.mean(dim=(2, 3))
        spread = ((x - mean[..., None, None]) ** 2).mean(dim=(2, 3))
        stats = torch.cat([h.mean(dim=(2, 3)), mean, spread], dim=1)  # [B, C + 6]
        g = self.grade(stats)  # [B, 12]: 3x3 matrix (added to the identity) and offset
        matrix = g[:, :9].reshape(-1, 3, 3, 1, 1) + torch.eye(3, device=x.device).reshape(1, 3, 3, 1, 1)
        graded = (matrix * x.unsqueeze(1)).sum(dim=2) + g[:, 9:].reshape(-1, 3, 1, 1)
        return torch.clamp(graded + self.shuffle(self.head(h)), -1.0, 1.0)


@register_student(**shufflegen_card(0.5, 4, family="normgrade", norm="instance", output="frame grade + residual"))
def normgrade_t_050() -> NormGrade:
    """normres_t_050 plus a colour matrix of the whole frame from pooled statistics (0.36 GMAC at 256x256):
    the student of a teacher that grades photos as a whole (a photo-filter CycleGAN)."""
    return NormGrade(channels_for_width(0.5), 4)
