"""Image fidelity metrics on uint8 frames (numpy/OpenCV only)."""

from __future__ import annotations

import cv2
import numpy as np


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB between two uint8 images (or stacks)."""
    if a.shape != b.shape:
        raise ValueError(f"psnr: shapes differ {a.shape} vs {b.shape}")
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10.0 * np.log10(255.0**2 / mse))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    """Mean SSIM (Wang et al. 2004, 11x11 Gaussian window, sigma 1.5) over pixels and channels."""
    if a.shape != b.shape:
        raise ValueError(f"ssim: shapes differ {a.shape} vs {b.shape}")
    if a.ndim == 4:
        return float(np.mean([ssim(x, y) for x, y in zip(a, b)]))
    return float(np.mean(ssim_map(a, b)))


def ssim_map(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-pixel, per-channel SSIM of two uint8 images (OpenCV's reflected border at the edges)."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    x, y = a.astype(np.float64), b.astype(np.float64)
    blur = lambda z: cv2.GaussianBlur(z, (11, 11), 1.5)  # noqa: E731
    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    return (2 * mx * my + c1) * (2 * sxy + c2) / ((mx * mx + my * my + c1) * (sxx + syy + c2))


def color_difference(a: np.ndarray, b: np.ndarray, scale: int = 8) -> float:
    """Mean colour difference (CIE76 delta E, CIELAB) of two uint8 RGB images at 1/`scale` resolution.

    Both images are area-averaged down first, so fine detail and edges do not count and what is left
    is colour: a cast over the whole frame, or regions in the wrong hue (green grass turned brown).
    About 2.3 is a just noticeable difference; above 10 colours read as different.
    """
    h, w = a.shape[:2]
    size = (max(1, w // scale), max(1, h // scale))
    lab = [
        cv2.cvtColor(cv2.resize(x, size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0, cv2.COLOR_RGB2Lab)
        for x in (a, b)
    ]
    return float(np.linalg.norm(lab[0] - lab[1], axis=-1).mean())
