"""Differentiable flow warping (grid_sample); same convention as stylelite.runtime.flow.

flow[:, :, y, x] = (dx, dy): warp(x, flow) samples x at (x+dx, y+dy). With flow B->A,
warp(image_A, flow) aligns image A with frame B. Zero flow is exactly the identity.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def warp(x: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """x [B,C,H,W], flow [B,2,H,W] in pixels -> [B,C,H,W] (bilinear, border clamped)."""
    b, _, h, w = x.shape
    ys = torch.arange(h, dtype=x.dtype, device=x.device).view(1, h, 1)
    xs = torch.arange(w, dtype=x.dtype, device=x.device).view(1, 1, w)
    px = xs + flow[:, 0]
    py = ys + flow[:, 1]
    grid = torch.stack([2.0 * px / max(w - 1, 1) - 1.0, 2.0 * py / max(h - 1, 1) - 1.0], dim=-1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=True)
