"""Frame <-> tensor conversion for exported models, driven by their metadata."""

from __future__ import annotations

import functools

import cv2
import numpy as np

from stylelite.runtime.errors import InputError
from stylelite.runtime.metadata import ArtifactMetadata


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
    padded, hw = padded_frame(frame, meta)
    lo, hi = meta.input_range
    return _to_blob(padded, lo, hi), hw


def padded_frame(frame: np.ndarray, meta: ArtifactMetadata) -> tuple[np.ndarray, tuple[int, int]]:
    """uint8 RGB [H,W,3] -> (uint8 RGB [H',W',3] padded to the model's stride, (H, W)); InputError when the model
    takes one fixed size and this is not it."""
    frame = as_rgb(frame)
    h, w = frame.shape[:2]
    if meta.height and meta.width:
        if (h, w) != (meta.height, meta.width):
            raise InputError(
                f"this model takes {meta.width}x{meta.height} frames, got {w}x{h}: add --process-size "
                f"{meta.width}x{meta.height} (resized in, output resized back) or export the model with dynamic size"
            )
        padded = frame
    else:
        s = meta.stride
        ph, pw = (-h) % s, (-w) % s
        border = cv2.BORDER_REFLECT_101 if min(h, w) > max(ph, pw) else cv2.BORDER_REPLICATE
        padded = cv2.copyMakeBorder(frame, 0, ph, 0, pw, border) if (ph or pw) else frame
    return padded, (h, w)


def _to_blob(rgb: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """uint8 HWC -> float32 [1,3,H,W] mapped to [lo, hi] (0 -> lo and 255 -> hi exactly).

    Each uint8 plane goes through a 256-entry float table straight into its slice of the output
    (1.2 ms at 720p here, against 7 ms for cv2.dnn.blobFromImage and 2.4 ms for numpy): in a video
    pipeline every millisecond spent here is taken from the model's cores.
    """
    table = _byte_table(lo, hi)
    out = np.empty((1, 3, *rgb.shape[:2]), np.float32)
    for c, plane in enumerate(cv2.split(rgb)):
        cv2.LUT(plane, table, dst=out[0, c])
    return out


@functools.lru_cache(maxsize=8)
def _byte_table(lo: float, hi: float) -> np.ndarray:
    """float32 value of each byte 0..255 mapped to [lo, hi], rounded once from float64."""
    table = (np.arange(256, dtype=np.float64) * ((hi - lo) / 255.0) + lo).astype(np.float32)
    table.flags.writeable = False
    return table


def from_model_output(y: np.ndarray, meta: ArtifactMetadata) -> np.ndarray:
    """float [N,3,H,W] in the model's output range -> uint8 [N,H,W,3]."""
    lo, hi = meta.output_range
    a = 255.0 / (hi - lo)
    out = np.empty((y.shape[0], y.shape[2], y.shape[3], 3), np.uint8)
    for i, chw in enumerate(y):
        # scale, round and saturate each float plane to uint8, then interleave the small planes
        # (1.0 ms at 720p; interleaving the float planes first took 2.3 ms)
        planes = [cv2.addWeighted(c, a, c, 0.0, -lo * a, dtype=cv2.CV_8U) for c in np.asarray(chw, np.float32)]
        cv2.merge(planes, dst=out[i])
    return out
