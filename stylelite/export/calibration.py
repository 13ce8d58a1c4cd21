"""Calibration frames for int8: real frames from an image folder or a video, never noise."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from stylelite.runtime.errors import ConfigError, InputError


def load_calibration_frames(source: str | Path, max_frames: int = 32, size: int = 256) -> list[np.ndarray]:
    """uint8 RGB frames from `source` (image folder or video), spread over it, longest side <= `size`.

    Args:
        source: an image folder or a video file of the kind of footage the model will see.
        max_frames: at most this many frames, evenly spaced over the folder or clip.
        size: frames larger than this on their longest side are shrunk (calibration is about value
            ranges, not resolution; smaller frames keep calibration fast).
    """
    from stylelite.runtime.video import is_video, list_images, read_image, read_video

    source = Path(source)
    if not source.exists():
        raise InputError(f"calibration data not found: {source} (give an image folder or a video)")
    if source.is_dir():
        files = list_images(source)
        pick = np.linspace(0, len(files) - 1, min(max_frames, len(files))).round().astype(int)
        frames = [read_image(files[i]) for i in sorted(set(pick.tolist()))]
    elif is_video(source):
        every, _ = read_video(source)
        pick = np.linspace(0, len(every) - 1, min(max_frames, len(every))).round().astype(int)
        frames = [every[i] for i in sorted(set(pick.tolist()))]
    else:
        raise ConfigError(f"--calib {source}: give an image folder or a video file")
    out = []
    for f in frames:
        h, w = f.shape[:2]
        s = size / max(h, w)
        out.append(cv2.resize(f, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA) if s < 1 else f)
    return out


def split_calibration(frames: list[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(calibration, held-out) frames: every fourth frame is held out to verify on (at least one)."""
    if len(frames) < 2:
        raise InputError(f"calibration needs at least 2 frames, got {len(frames)}")
    held = frames[3::4] or frames[-1:]
    ids = {id(f) for f in held}
    return [f for f in frames if id(f) not in ids], held
