"""Side-by-side frames (input | teacher | student ...) as a GIF, an MP4 and a PNG still."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from stylelite.runtime.files import atomic_path
from stylelite.runtime.video import write_image, write_video

GIF_MAX_WIDTH = 720


def label(frame: np.ndarray, text: str) -> np.ndarray:
    out = frame.copy()
    cv2.rectangle(out, (0, 0), (min(out.shape[1], 8 + 9 * len(text)), 20), (0, 0, 0), -1)
    cv2.putText(out, text, (4, 15), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def compose(columns: dict[str, list[np.ndarray]]) -> list[np.ndarray]:
    names = list(columns)
    n = min(len(v) for v in columns.values())
    return [np.concatenate([label(columns[k][i], k) for k in names], axis=1) for i in range(n)]


def write_side_by_side(
    columns: dict[str, list[np.ndarray]], out_dir: Path, stem: str = "side_by_side", fps: float = 12.0
) -> dict[str, Path]:
    from PIL import Image

    frames = compose(columns)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"mp4": write_video(out_dir / f"{stem}.mp4", frames, fps)}
    gif = out_dir / f"{stem}.gif"
    with atomic_path(gif) as tmp:
        imgs = [Image.fromarray(f) for f in frames]
        if imgs[0].width > GIF_MAX_WIDTH:  # a GIF is for a quick look in a report; the MP4 has full size
            h = round(imgs[0].height * GIF_MAX_WIDTH / imgs[0].width)
            imgs = [im.resize((GIF_MAX_WIDTH, h), Image.LANCZOS) for im in imgs]
        imgs[0].save(
            tmp, format="GIF", save_all=True, append_images=imgs[1:], duration=int(1000 / fps), loop=0, optimize=True
        )
    paths["gif"] = gif
    still = out_dir / f"{stem}.png"
    write_image(still, frames[len(frames) // 2])
    paths["png"] = still
    return paths
