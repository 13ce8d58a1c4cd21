"""Synthetic camera-motion clips from a still image (pan, zoom, slight roll).

The camera path is smooth and known, so the clip is a fair test of temporal stability:
any flicker in a filter's output comes from the filter, not from the scene.
"""

from __future__ import annotations

import cv2
import numpy as np


def camera_path_matrix(
    t: float,
    src_hw: tuple[int, int],
    out_wh: tuple[int, int],
    zoom: tuple[float, float] = (1.0, 1.25),
    roll_deg: float = 3.0,
) -> np.ndarray:
    """2x3 matrix mapping output pixel coords to source coords at time t in [0, 1]."""
    sh, sw = src_hw
    ow, oh = out_wh
    z = zoom[0] + (zoom[1] - zoom[0]) * (0.5 - 0.5 * np.cos(np.pi * t))
    base = min(sw / ow, sh / oh)  # fit the output window inside the source
    scale = base / z
    ang = np.deg2rad(roll_deg * np.sin(2 * np.pi * t))
    # Window centre pans across the free margin.
    free_x, free_y = max(0.0, sw - ow * scale * 1.1), max(0.0, sh - oh * scale * 1.1)
    cx = sw / 2 + (t - 0.5) * free_x
    cy = sh / 2 + 0.3 * np.sin(np.pi * t) * free_y
    c, s = np.cos(ang) * scale, np.sin(ang) * scale
    # src = R*S*(p - out_centre) + centre
    return np.array([[c, -s, cx - c * ow / 2 + s * oh / 2], [s, c, cy - s * ow / 2 - c * oh / 2]], np.float64)


def make_camera_clip(image: np.ndarray, frames: int = 48, size: tuple[int, int] = (320, 240)) -> list[np.ndarray]:
    """uint8 RGB frames of `size` (W, H) that move a virtual camera over `image`."""
    out = []
    for i in range(frames):
        m = camera_path_matrix(i / max(1, frames - 1), image.shape[:2], size)
        out.append(
            cv2.warpAffine(
                image, m, size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101
            )
        )
    return out


def camera_clip_flow(src_hw: tuple[int, int], frames: int, size: tuple[int, int], i: int, j: int) -> np.ndarray:
    """Exact flow frame i -> frame j, float32 [H,W,2], of a make_camera_clip(image, frames, size) clip
    (src_hw: the image's (H, W)); warp_image(frame_j, flow) aligns frame j with frame i."""
    w, h = size
    mi, mj = (camera_path_matrix(k / max(1, frames - 1), src_hw, size) for k in (i, j))
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float64), np.arange(h, dtype=np.float64))
    sx = mi[0, 0] * gx + mi[0, 1] * gy + mi[0, 2]  # frame-i pixel -> source point
    sy = mi[1, 0] * gx + mi[1, 1] * gy + mi[1, 2]
    inv = cv2.invertAffineTransform(mj)  # source point -> frame-j pixel
    px = inv[0, 0] * sx + inv[0, 1] * sy + inv[0, 2]
    py = inv[1, 0] * sx + inv[1, 1] * sy + inv[1, 2]
    return np.stack([px - gx, py - gy], -1).astype(np.float32)
