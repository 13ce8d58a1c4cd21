"""Distillation losses: pixel, feature (GAN Compression style) and temporal consistency."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from distill.warp import warp


def pixel_loss(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(student, teacher)


class FeatureAdapters(nn.Module):
    """Learnable 1x1 convs mapping student taps onto teacher taps (Li et al., GAN Compression).

    The loss is an MSE normalised by the teacher feature's variance, so taps of different
    magnitude weigh the same.
    """

    def __init__(self, student_channels: dict[str, int], teacher_channels: dict[str, int]) -> None:
        super().__init__()
        self.taps = sorted(set(student_channels) & set(teacher_channels))
        if not self.taps:
            raise ValueError("student and teacher share no feature tap names")
        self.maps = nn.ModuleDict({t: nn.Conv2d(student_channels[t], teacher_channels[t], 1) for t in self.taps})

    def forward(self, student_feats: dict[str, torch.Tensor], teacher_feats: dict[str, torch.Tensor]) -> torch.Tensor:
        losses = []
        for t in self.taps:
            s, target = self.maps[t](student_feats[t]), teacher_feats[t].float()
            if s.shape[-2:] != target.shape[-2:]:
                s = F.interpolate(s, size=target.shape[-2:], mode="bilinear", align_corners=False)
            losses.append(F.mse_loss(s, target) / target.var().clamp_min(1e-6))
        return torch.stack(losses).mean()


def temporal_loss(
    out_prev: torch.Tensor, out_cur: torch.Tensor, flow_cur_to_prev: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Masked MSE between out_cur and out_prev warped onto the current frame.

    flow_cur_to_prev [B,2,H,W] maps current pixels to the previous frame; mask [B,1,H,W] is 1
    where that flow is reliable (not occluded, inside the frame). Zero on a static clip.
    """
    diff = (warp(out_prev, flow_cur_to_prev) - out_cur) ** 2
    return (diff * mask).sum() / (mask.sum() * out_cur.shape[1]).clamp_min(1.0)
