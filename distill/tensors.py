"""uint8 images <-> model tensors in [-1, 1]."""

from __future__ import annotations

import numpy as np
import torch


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    """uint8 [H,W,3] or [N,H,W,3] -> float [N,3,H,W] in [-1, 1]."""
    a = torch.from_numpy(np.ascontiguousarray(rgb))
    if a.ndim == 3:
        a = a[None]
    return a.permute(0, 3, 1, 2).float().div(127.5).sub(1.0)


def to_uint8(x: torch.Tensor) -> np.ndarray:
    """float [N,3,H,W] in [-1, 1] -> uint8 [N,H,W,3]."""
    y = ((x.detach().float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
    return y.permute(0, 2, 3, 1).cpu().numpy()


def pad_to_multiple(x: torch.Tensor, stride: int) -> tuple[torch.Tensor, int, int]:
    """Reflect-pad H and W up to a multiple of `stride`; return the padded tensor and H, W."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % stride, (-w) % stride
    if ph or pw:
        x = torch.nn.functional.pad(x, (0, pw, 0, ph), mode="reflect" if min(h, w) > max(ph, pw) else "replicate")
    return x, h, w


@torch.no_grad()
def run_model(model: torch.nn.Module, rgb: np.ndarray, stride: int | None = None) -> np.ndarray:
    """Stylize uint8 RGB frames with a torch model at any size (pads, then crops back)."""
    stride = stride or model.card.stride
    x, h, w = pad_to_multiple(to_tensor(rgb), stride)
    out = to_uint8(model(x)[..., :h, :w])
    return out if rgb.ndim == 4 else out[0]
