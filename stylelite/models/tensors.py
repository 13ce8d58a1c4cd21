"""uint8 images <-> model tensors (in [-1, 1] unless a model card says otherwise)."""

from __future__ import annotations

import numpy as np
import torch


def device_of(module: torch.nn.Module) -> torch.device:
    """Where a module's weights (or, for a weightless one such as a graph teacher, its buffers) live."""
    for t in (*module.parameters(), *module.buffers()):
        return t.device
    return torch.device("cpu")


def to_tensor(rgb: np.ndarray, input_range: tuple[float, float] = (-1.0, 1.0)) -> torch.Tensor:
    """uint8 [H,W,3] or [N,H,W,3] -> float [N,3,H,W] in `input_range` (0 and 255 map to its ends)."""
    a = torch.from_numpy(np.ascontiguousarray(rgb))
    if a.ndim == 3:
        a = a[None]
    x = a.permute(0, 3, 1, 2).float()
    if tuple(input_range) == (-1.0, 1.0):
        return x.div(127.5).sub(1.0)
    lo, hi = input_range
    return x * ((hi - lo) / 255.0) + lo  # as stylelite.runtime.frames.to_model_input maps it


def to_uint8(x: torch.Tensor, output_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """float [N,3,H,W] in `output_range` -> uint8 [N,H,W,3] (values outside it are clipped)."""
    lo, hi = output_range
    y = ((x.detach().float() - lo) * (255.0 / (hi - lo))).clamp(0, 255).round().to(torch.uint8)
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
    """Stylize uint8 RGB frames with a torch model at any size (pads, then crops back), feeding and
    reading it in the input/output ranges of its card."""
    card = model.card
    stride = stride or card.stride
    x, h, w = pad_to_multiple(to_tensor(rgb, card.input_range), stride)
    out = to_uint8(model(x)[..., :h, :w], card.output_range)
    return out if rgb.ndim == 4 else out[0]
