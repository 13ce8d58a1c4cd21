"""The built-in style: a classical cartoon filter made of OpenCV operations.

Edge-preserving smoothing (repeated bilateral filtering at half resolution), colour
quantization, and soft dark edges from the smoothed luminance. It is the paired target
that the built-in teacher learns; it is deterministic and needs no download.
"""

from __future__ import annotations

import cv2
import numpy as np


def cartoonize(rgb: np.ndarray, levels: int = 8, edge_strength: float = 0.85) -> np.ndarray:
    """uint8 RGB [H,W,3] -> cartoon uint8 RGB [H,W,3]."""
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError("cartoonize expects a uint8 RGB image of shape [H, W, 3]")
    h, w = rgb.shape[:2]
    small = cv2.resize(rgb, (max(1, w // 2), max(1, h // 2)), interpolation=cv2.INTER_AREA)
    for _ in range(5):
        small = cv2.bilateralFilter(small, 9, 30, 7)
    smooth = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)

    # Quantize in a perceptual-ish space: lightness in `levels` steps, chroma kept smooth.
    lab = cv2.cvtColor(smooth, cv2.COLOR_RGB2LAB).astype(np.float32)
    step = 255.0 / levels
    lab[..., 0] = np.floor(lab[..., 0] / step) * step + step / 2
    lab[..., 1:] = 128 + (lab[..., 1:] - 128) * 1.3  # a little more saturated, like paint
    color = cv2.cvtColor(np.clip(lab, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)

    gray = cv2.cvtColor(smooth, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gray = cv2.GaussianBlur(gray, (0, 0), 1.0)
    gx = cv2.Sobel(gray, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(gray, cv2.CV_32F, 0, 1, ksize=3)
    mag = np.sqrt(gx * gx + gy * gy)
    edges = np.clip((mag - 40.0) / 80.0, 0.0, 1.0)  # soft lines: learnable, less flicker
    out = color.astype(np.float32) * (1.0 - edge_strength * edges[..., None])
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)
