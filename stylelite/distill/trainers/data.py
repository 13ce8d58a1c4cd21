"""Training images for teacher families: image folders, video files sampled to frames and the
bundled photos, with the standard augmentation (resize the shorter side, random crop, flip).

Under torchrun each rank reads its own shard of the files (when there are enough) and draws with
its own seed, so ranks see different crops.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from stylelite.models.tensors import to_tensor
from stylelite.runtime.errors import InputError
from stylelite.runtime.video import is_video, iter_video, list_images, read_image


def video_frames(path: str | Path, every: int = 10, max_frames: int = 300) -> list[np.ndarray]:
    """Every `every`-th frame of a video, at most `max_frames` of them."""
    frames = []
    for i, frame in enumerate(iter_video(path)):
        if i % every == 0:
            frames.append(frame)
            if len(frames) >= max_frames:
                break
    return frames


def list_sources(entries: tuple[str, ...]) -> list[str]:
    """Expand `--data` entries into image files, video files, 'builtin' and 'world', in a stable order."""
    out: list[str] = []
    for entry in entries:
        if entry in ("builtin", "world", "opencv-photos"):
            out.append(entry)
        elif Path(entry).is_dir():
            out += [str(p) for p in list_images(entry)]
        elif is_video(entry) or Path(entry).is_file():
            if not Path(entry).is_file():
                raise InputError(f"video not found: {entry}")
            out.append(entry)
        else:
            raise InputError(
                f"--data {entry}: not 'builtin', 'world', 'opencv-photos', an image folder, an image or a video file"
            )
    return out


def load_images(
    entries: tuple[str, ...],
    rank: int = 0,
    world_size: int = 1,
    frame_every: int = 10,
    max_frames: int = 300,
    min_side: int = 0,
) -> list[np.ndarray]:
    """uint8 RGB images from `entries`, this rank's shard of them; shorter sides resized to `min_side`."""
    sources = list_sources(entries)
    if world_size > 1 and len(sources) >= world_size:
        sources = sources[rank::world_size]
    images: list[np.ndarray] = []
    for src in sources:
        if src == "builtin":
            from stylelite.distill.photos import builtin_photos

            images += list(builtin_photos("train").values())
        elif src == "world":  # the data extra's photos and textures, less the held-out photos
            from stylelite.distill.label_store import world_sources

            images += list(world_sources().values())
        elif src == "opencv-photos":
            from stylelite.runtime.corpus import opencv_photo_paths

            images += [read_image(p) for p in opencv_photo_paths().values()]
        elif is_video(src):
            images += video_frames(src, frame_every, max_frames)
        else:
            images.append(read_image(src))
    if not images:
        raise InputError(f"no training images in {', '.join(entries)}")
    return [resize_shorter(img, min_side) for img in images] if min_side else images


def resize_shorter(img: np.ndarray, side: int) -> np.ndarray:
    """Resize so the shorter side is `side` (area filter when shrinking)."""
    h, w = img.shape[:2]
    if min(h, w) == side:
        return img
    s = side / min(h, w)
    size = (max(side, round(w * s)), max(side, round(h * s)))
    return cv2.resize(img, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC)


class ImageDomain:
    """Random crops of one domain's images (already resized to the load size), flipped at random."""

    def __init__(self, images: list[np.ndarray], crop: int, seed: int, flip: bool = True) -> None:
        if not images:
            raise InputError("no training images")
        self.images, self.crop, self.flip = images, crop, flip
        self.rng = np.random.default_rng(seed)

    def sample(self) -> np.ndarray:
        img = self.images[self.rng.integers(len(self.images))]
        h, w = img.shape[:2]
        y, x = self.rng.integers(h - self.crop + 1), self.rng.integers(w - self.crop + 1)
        out = img[y : y + self.crop, x : x + self.crop]
        if self.flip and self.rng.random() < 0.5:
            out = out[:, ::-1]
        return np.ascontiguousarray(out)

    def batch(self, n: int, input_range: tuple[float, float] = (-1.0, 1.0)) -> torch.Tensor:
        """[n,3,crop,crop] float in `input_range`."""
        return to_tensor(np.stack([self.sample() for _ in range(n)]), input_range)


class PairedDomains:
    """Aligned pairs (A[i], B[i]): the same crop window and flip for both images of a pair."""

    def __init__(self, images_a: list[np.ndarray], images_b: list[np.ndarray], crop: int, seed: int, flip=True):
        if len(images_a) != len(images_b):
            raise InputError(
                f"paired data needs as many B images as A images (files matched by sorted name): "
                f"{len(images_a)} vs {len(images_b)}"
            )
        self.pairs = []
        for a, b in zip(images_a, images_b):
            if b.shape[:2] != a.shape[:2]:
                b = cv2.resize(b, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_AREA)
            self.pairs.append((a, b))
        self.crop, self.flip = crop, flip
        self.rng = np.random.default_rng(seed)

    def sample(self) -> tuple[np.ndarray, np.ndarray]:
        a, b = self.pairs[self.rng.integers(len(self.pairs))]
        h, w = a.shape[:2]
        y, x = self.rng.integers(h - self.crop + 1), self.rng.integers(w - self.crop + 1)
        a, b = a[y : y + self.crop, x : x + self.crop], b[y : y + self.crop, x : x + self.crop]
        if self.flip and self.rng.random() < 0.5:
            a, b = a[:, ::-1], b[:, ::-1]
        return np.ascontiguousarray(a), np.ascontiguousarray(b)

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        xs, ys = zip(*(self.sample() for _ in range(n)))
        return to_tensor(np.stack(xs)), to_tensor(np.stack(ys))
