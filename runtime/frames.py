"""Frame <-> tensor conversion for exported models, driven by their metadata."""

from __future__ import annotations

import cv2
import numpy as np

from runtime.errors import InputError
from runtime.metadata import ArtifactMetadata


def as_rgb(frame: np.ndarray) -> np.ndarray:
    """Accept gray [H,W], [H,W,1], RGB or RGBA uint8 and return uint8 RGB [H,W,3]."""
    if frame.dtype != np.uint8:
        raise InputError(f"frames must be uint8, got {frame.dtype}")
    if frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 1):
        return cv2.cvtColor(frame.reshape(frame.shape[:2]), cv2.COLOR_GRAY2RGB)
    if frame.ndim == 3 and frame.shape[2] == 4:
        return np.ascontiguousarray(frame[..., :3])
    if frame.ndim == 3 and frame.shape[2] == 3:
        return frame
    raise InputError(f"unsupported frame shape {frame.shape}: expected gray, RGB or RGBA")


def to_model_input(frame: np.ndarray, meta: ArtifactMetadata) -> tuple[np.ndarray, tuple[int, int]]:
    """uint8 RGB [H,W,3] -> float32 [1,3,H',W'] padded to the model's stride (or fixed size)."""
    frame = as_rgb(frame)
    h, w = frame.shape[:2]
    if meta.height and meta.width:
        if (h, w) != (meta.height, meta.width):
            raise InputError(
                f"this model takes {meta.width}x{meta.height} frames, got {w}x{h}; "
                "export it with dynamic size or resize the input"
            )
        padded = frame
    else:
        s = meta.stride
        ph, pw = (-h) % s, (-w) % s
        border = cv2.BORDER_REFLECT_101 if min(h, w) > max(ph, pw) else cv2.BORDER_REPLICATE
        padded = cv2.copyMakeBorder(frame, 0, ph, 0, pw, border) if (ph or pw) else frame
    lo, hi = meta.input_range
    x = padded.astype(np.float32) * ((hi - lo) / 255.0) + lo
    return np.ascontiguousarray(x.transpose(2, 0, 1)[None]), (h, w)


def from_model_output(y: np.ndarray, meta: ArtifactMetadata) -> np.ndarray:
    """float [N,3,H,W] in the model's output range -> uint8 [N,H,W,3]."""
    lo, hi = meta.output_range
    z = (y.astype(np.float32) - lo) * (255.0 / (hi - lo))
    return np.clip(z + 0.5, 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
