"""Training data for distillation: frames from photos, image folders and videos; a teacher
cache of crops; and frame pairs with flow for the temporal loss.

Pairs come from video frames k apart (DIS flow, forward-backward occlusion mask; each clip's flows
are computed once, optionally cached on disk) or are synthesized from stills by k composed small
random camera motions, so their flow is known exactly.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from stylelite.models.tensors import device_of, to_tensor
from stylelite.runtime.errors import ConfigError, InputError
from stylelite.runtime.flow import ClipFlows
from stylelite.runtime.video import is_video, list_images, read_image, read_video


@dataclass
class Clip:
    frames: list[np.ndarray]  # consecutive video frames (pairs come from these)
    _flows: ClipFlows | None = field(default=None, repr=False)

    def flows(self, offsets: tuple[int, ...] = (1,), cache_dir: str | Path | None = None) -> ClipFlows:
        """The clip's flows for frame distances `offsets` (DIS medium), computed once per clip."""
        if self._flows is None or not set(offsets) <= set(self._flows.offsets):
            have = self._flows.offsets if self._flows else ()
            self._flows = ClipFlows(self.frames, offsets=tuple(sorted(set(offsets) | set(have))), cache_dir=cache_dir)
        return self._flows


DATA_ENTRIES = "not 'builtin', 'world', 'opencv-photos', an image folder or a video file"


def load_sources(data: tuple[str, ...], max_video_frames: int = 120) -> tuple[list[np.ndarray], list[Clip]]:
    """Resolve `--data` entries: 'builtin' (six bundled photos), 'world' (the data extra's photos and
    textures), an image folder, or a video file."""
    stills: list[np.ndarray] = []
    clips: list[Clip] = []
    for entry in data:
        named = _stills(entry)
        if named is not None:
            stills += list(named.values())
        elif is_video(entry):
            frames, _ = read_video(entry, max_video_frames)
            clips.append(Clip(frames))
        else:
            raise InputError(f"--data {entry}: {DATA_ENTRIES}")
    return stills, clips


def named_sources(data: tuple[str, ...], max_video_frames: int = 120) -> dict[str, np.ndarray]:
    """The images `--data` names, each under a stable name (a label store records them): 'world' -> its
    photos and textures by name, 'builtin' -> builtin/<photo>, a folder -> <folder>/<file>, a video -> 16
    evenly spaced frames, <video>#<index>."""
    out: dict[str, np.ndarray] = {}
    for entry in data:
        named = _stills(entry)
        if named is not None:
            out |= named
        elif is_video(entry):
            frames, _ = read_video(entry, max_video_frames)
            step = max(1, len(frames) // 16)
            out |= {f"{entry}#{i}": frames[i] for i in range(0, len(frames), step)}
        else:
            raise InputError(f"--data {entry}: {DATA_ENTRIES}")
    return out


def _stills(entry: str) -> dict[str, np.ndarray] | None:
    """The named still images of a 'builtin', 'world' or image-folder entry; None for anything else."""
    if entry == "builtin":
        from stylelite.distill.photos import builtin_photos

        return {f"builtin/{k}": v for k, v in builtin_photos("train").items()}
    if entry == "world":  # the data extra's real photos and textures, less the held-out photos
        from stylelite.distill.label_store import world_sources

        return world_sources()
    if entry == "opencv-photos":  # Debian opencv-doc's real colour photos (never its clips)
        from stylelite.runtime.corpus import opencv_photo_paths

        return {name: read_image(path) for name, path in opencv_photo_paths().items()}
    if Path(entry).is_dir():
        return {f"{entry}/{p.name}": read_image(p) for p in list_images(entry)}
    return None


def check_sources(data: tuple[str, ...]) -> None:
    """Check `--data` entries without decoding them (cheap; runs before any model loads): each is 'builtin',
    an image folder holding images (checked by their signatures), or a video file that opens. InputError
    (one line) otherwise."""
    for entry in data:
        path = Path(entry)
        if entry == "builtin":
            continue
        if entry == "world":
            from stylelite.runtime.corpus import photo_paths, texture_paths

            photo_paths(), texture_paths()  # a missing data extra is one line naming it
            continue
        if entry == "opencv-photos":
            from stylelite.runtime.corpus import opencv_photo_paths

            opencv_photo_paths()  # a missing Debian package is one line naming it
            continue
        if path.is_dir():
            for image in list_images(path):  # an empty folder raises here
                if not cv2.haveImageReader(str(image)):  # the file's signature, not a decode
                    raise InputError(f"--data {entry}: {image.name} is not a readable image")
        elif not path.exists():
            raise InputError(f"--data {entry}: {DATA_ENTRIES} (no such file or folder)")
        elif not is_video(entry):
            raise InputError(f"--data {entry}: {DATA_ENTRIES}")
        else:
            from stylelite.runtime.video import video_info

            video_info(path)  # opens the container only: a text file named .mp4 fails here


def random_crop(img: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    h, w = img.shape[:2]
    if min(h, w) < size:
        s = size / min(h, w)
        img = cv2.resize(img, (max(size, round(w * s)), max(size, round(h * s))), interpolation=cv2.INTER_LINEAR)
        h, w = img.shape[:2]
    y, x = rng.integers(h - size + 1), rng.integers(w - size + 1)
    return img[y : y + size, x : x + size]


def teacher_padding(crop: int, stride: int, name: str = "the teacher") -> tuple[int, int]:
    """(before, after) reflect padding that brings a `crop` up to a multiple of `stride`.

    Each side must stay below the crop (reflection needs that), so a U-Net of stride 128 takes crops
    of 44 px and up; smaller crops raise a ConfigError naming the minimum --crop.
    """
    pad = (-crop) % stride
    before, after = pad // 2, pad - pad // 2
    if after >= crop:
        smallest = next(c for c in range(4, stride + 1, 4) if (-c) % stride - ((-c) % stride) // 2 < c)
        raise ConfigError(
            f"--crop {crop} is too small for {name} (its input must be a multiple of {stride} px and a crop is "
            f"reflect-padded up to that): use --crop {smallest} or more ({stride} needs no padding)"
        )
    return before, after


class TeacherCache:
    """Fixed random crops with the teacher's outputs and feature taps, computed once
    (the teacher is ~200x the student's cost, so it runs once per crop, not per step).

    The student side is always [-1, 1]: each crop is fed to the teacher in its card's input range
    and the teacher's output is mapped from its card's output range back to [-1, 1] (clipped, as the
    runtime clips it). A crop smaller than the teacher's stride (a U-Net's 128 or 256) is
    reflect-padded to it on both sides; the output and the feature taps are cropped back.
    """

    def __init__(
        self,
        teacher,
        images: list[np.ndarray],
        n: int,
        crop: int,
        seed: int,
        taps: list[str],
        batch: int = 8,
        progress: bool = True,
        n_styles: int = 0,
    ) -> None:
        from tqdm import tqdm

        from stylelite.distill.conditions import sample_conditions

        rng = np.random.default_rng(seed)
        crops = np.stack([random_crop(images[rng.integers(len(images))], crop, rng) for _ in range(n)])
        self.inputs = to_tensor(crops)  # the student's input, [-1, 1]
        # a style-conditioned teacher labels each crop under its own condition (drawn apart from the crops)
        self.conditions = sample_conditions(n_styles, n, np.random.default_rng(seed + 3)) if n_styles else None
        outs, feats = [], {t: [] for t in taps}
        for i in tqdm(range(0, n, batch), desc="teacher cache", unit="batch", disable=not progress):
            cond = tuple(c[i : i + batch] for c in self.conditions) if self.conditions else None
            y, f = label_crops(teacher, crops[i : i + batch], taps, cond)
            outs.append(y)
            for t in taps:  # fp16: half the memory
                feats[t].append(f[t].half())
        self.outputs = torch.cat(outs)
        self.features = {t: torch.cat(v) for t, v in feats.items()}
        self.rng = np.random.default_rng(seed + 1)

    def __len__(self) -> int:
        return len(self.inputs)

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor], tuple | None]:
        """n random (inputs, teacher outputs, teacher features, condition): the condition is (style weights
        [n,S], strengths [n]) for a style-conditioned teacher, else None."""
        idx = torch.from_numpy(self.rng.integers(len(self), size=n))
        cond = tuple(c[idx] for c in self.conditions) if self.conditions else None
        return self.inputs[idx], self.outputs[idx], {t: v[idx] for t, v in self.features.items()}, cond


@torch.no_grad()
def label_crops(
    teacher, crops: np.ndarray, taps: list[str] | tuple[str, ...] = (), condition: tuple | None = None
) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The teacher's outputs for uint8 RGB crops [N,S,S,3] as float [N,3,S,S] in [-1, 1] on the CPU, and its
    feature taps: each crop fed in the card's input range (reflect-padded to the teacher's stride and cut
    back), the output mapped from the card's output range to [-1, 1] and clipped as the runtime clips.
    `condition` (style weights [N,S], strengths [N]) renders a style-conditioned teacher under it."""
    card = teacher.card
    size = crops.shape[1]
    before, after = teacher_padding(size, card.stride, card.name)
    x = to_tensor(crops, card.input_range).to(device_of(teacher))  # labelled where the teacher is
    if before or after:
        x = F.pad(x, (before, after, before, after), mode="reflect")
    call = teacher
    if condition is not None:
        weights, strength = (c.to(x.device) for c in condition)
        call = functools.partial(teacher.forward_styled, style_weights=weights, strength=strength)
    y, f = teacher.forward_features(x, call) if taps else (call(x), {})
    y = y[..., before : before + size, before : before + size].float()
    lo, hi = card.output_range
    if (lo, hi) != (-1.0, 1.0):
        y = ((y - lo) * (2.0 / (hi - lo)) - 1.0).clamp(-1.0, 1.0)
    return y.cpu(), {t: _crop_feature(f[t], x.shape[-1], before, size).cpu() for t in taps}


def _crop_feature(feat: torch.Tensor, padded: int, before: int, crop: int) -> torch.Tensor:
    """Cut the un-padded window out of a feature map of a padded input (at the map's own scale)."""
    if padded == crop:
        return feat
    scale = feat.shape[-1] / padded
    top, size = int(round(before * scale)), max(1, int(round(crop * scale)))
    return feat[..., top : top + size, top : top + size]


def synthetic_pair(
    img: np.ndarray,
    size: int,
    rng: np.random.Generator,
    max_shift: float = 6.0,
    max_zoom: float = 0.05,
    max_roll_deg: float = 2.0,
    steps: int = 1,
):
    """Two views of a still, the second moved by `steps` composed small random camera motions
    (steps=k stands for a long-term pair t-k -> t).

    Returns (frame_prev, frame_cur, flow_cur_to_prev [H,W,2], mask [H,W]); the flow is exact.
    """
    h, w = img.shape[:2]
    margin = int(size * 0.15) + int(max_shift * steps) + 2
    if min(h, w) < size + 2 * margin:
        s = (size + 2 * margin) / min(h, w)
        img = cv2.resize(img, (round(w * s) + 1, round(h * s) + 1), interpolation=cv2.INTER_LINEAR)
        h, w = img.shape[:2]
    x0 = rng.integers(margin, w - size - margin + 1)
    y0 = rng.integers(margin, h - size - margin + 1)
    prev = img[y0 : y0 + size, x0 : x0 + size]
    c = (size - 1) / 2.0
    m = np.array([[1.0, 0.0, x0], [0.0, 1.0, y0], [0.0, 0.0, 1.0]])  # frame-0 pixel -> source pixel
    for _ in range(steps):  # compose: frame-j pixel -> frame-(j-1) pixel -> ... -> source pixel
        zoom = 1.0 + rng.uniform(-max_zoom, max_zoom)
        ang = np.deg2rad(rng.uniform(-max_roll_deg, max_roll_deg))
        shift = rng.uniform(-max_shift, max_shift, 2)
        a = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]]) / zoom
        t = np.array([c, c]) + shift - a @ np.array([c, c])
        m = m @ np.vstack([np.hstack([a, t[:, None]]), [0.0, 0.0, 1.0]])
    m = m[:2]  # current pixel -> source pixel
    cur = cv2.warpAffine(
        img, m, (size, size), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=cv2.BORDER_REFLECT_101
    )
    gx, gy = np.meshgrid(np.arange(size, dtype=np.float64), np.arange(size, dtype=np.float64))
    sx = m[0, 0] * gx + m[0, 1] * gy + m[0, 2] - x0  # where the current pixel sits in prev
    sy = m[1, 0] * gx + m[1, 1] * gy + m[1, 2] - y0
    flow = np.stack([sx - gx, sy - gy], -1).astype(np.float32)
    mask = ((sx >= 0) & (sx <= size - 1) & (sy >= 0) & (sy <= size - 1)).astype(np.float32)
    return prev, cur, flow, mask


def video_pair(
    clip: Clip,
    size: int,
    rng: np.random.Generator,
    offset: int = 1,
    offsets: tuple[int, ...] = (1,),
    flow_cache: str | Path | None = None,
):
    """A random pair (t-offset, t) from a clip with DIS flow (cur -> prev) and its occlusion mask.

    The clip's flows for all `offsets` (which include `offset`) are computed on first use and reused.
    """
    if len(clip.frames) <= offset:
        raise InputError(f"a clip of {len(clip.frames)} frames has no pair {offset} frames apart")
    h, w = clip.frames[0].shape[:2]
    if min(h, w) < size:
        raise InputError(f"video frames {w}x{h} are smaller than the training crop {size}")
    flows = clip.flows(tuple(sorted(set(offsets) | {offset})), flow_cache)
    t = rng.integers(offset, len(clip.frames))
    prev_f, cur_f = clip.frames[t - offset], clip.frames[t]
    flow_cp, mask = flows.backward[offset][t - offset], flows.backward_masks[offset][t - offset]
    y, x = rng.integers(h - size + 1), rng.integers(w - size + 1)
    sl = (slice(y, y + size), slice(x, x + size))
    flow = np.ascontiguousarray(flow_cp[sl])
    gx, gy = np.meshgrid(np.arange(size), np.arange(size))
    inside = (
        (gx + flow[..., 0] >= 0)
        & (gx + flow[..., 0] <= size - 1)
        & (gy + flow[..., 1] >= 0)
        & (gy + flow[..., 1] <= size - 1)
    )
    return prev_f[sl], cur_f[sl], flow, mask[sl] * inside


class MotionPairs:
    """Batches of (prev, cur, flow cur->prev, mask) tensors from clips and/or stills."""

    def __init__(
        self,
        stills: list[np.ndarray],
        clips: list[Clip],
        size: int,
        seed: int,
        offsets: tuple[int, ...] = (1,),
        flow_cache: str | Path | None = None,
    ) -> None:
        if not stills and not clips:
            raise InputError("no training data: give photos, an image folder or a video")
        self.stills, self.clips, self.size = stills, [c for c in clips if len(c.frames) >= 2], size
        self.offsets, self.flow_cache = tuple(sorted(set(offsets) | {1})), flow_cache
        if not stills:
            longest = max((len(c.frames) for c in self.clips), default=0)
            if longest <= max(self.offsets):
                raise InputError(
                    f"the longest clip has {longest} frames, too few for pairs {max(self.offsets)} frames apart: "
                    "give longer clips, add still images, or use smaller long_term_offsets"
                )
        self.rng = np.random.default_rng(seed)

    def batch(self, n: int, offset: int = 1):
        """n pairs `offset` frames apart (a still stands in with `offset` composed camera motions)."""
        items = []
        clips = [c for c in self.clips if len(c.frames) > offset]
        for _ in range(n):
            use_clip = clips and (not self.stills or self.rng.random() < 0.5)
            if use_clip:
                clip = clips[self.rng.integers(len(clips))]
                items.append(video_pair(clip, self.size, self.rng, offset, self.offsets, self.flow_cache))
            else:
                img = self.stills[self.rng.integers(len(self.stills))]
                items.append(synthetic_pair(img, self.size, self.rng, steps=offset))
        prev, cur, flow, mask = (np.stack(x) for x in zip(*items))
        return (
            to_tensor(prev),
            to_tensor(cur),
            torch.from_numpy(flow).permute(0, 3, 1, 2).contiguous(),
            torch.from_numpy(mask)[:, None],
        )
