"""Optical flow (OpenCV DIS or Farneback), warping and forward-backward occlusion masks, in numpy.

Convention: flow[y, x] = (dx, dy) maps pixel (x, y) of frame A to (x+dx, y+dy) in frame B
("flow A->B"); warp_image(B, flow) then samples B at those points, aligning B with A.

Providers share one signature, `flow(a, b) -> float32 [H,W,2]` (uint8 RGB in); pick one with
`flow_provider(name, preset)`. OpenCV 640x480 on the 2-core dev CPU: DIS ultrafast ~2 ms,
fast ~4 ms, medium ~19 ms; Farneback ~60 ms (see /work/shared/STACK.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np

from stylelite.runtime.errors import ConfigError

_DIS_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def dis_flow(a: np.ndarray, b: np.ndarray, preset: str = "medium") -> np.ndarray:
    """Flow A->B, float32 [H,W,2], from two uint8 RGB frames."""
    dis = cv2.DISOpticalFlow_create(_DIS_PRESETS[preset])
    ga, gb = (cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in (a, b))
    return dis.calc(ga, gb, None)


FARNEBACK_PARAMS = dict(pyr_scale=0.5, levels=5, winsize=15, iterations=3, poly_n=5, poly_sigma=1.2, flags=0)


def farneback_flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Flow A->B, float32 [H,W,2], by Farneback's polynomial expansion (slower than DIS, smoother)."""
    ga, gb = (cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in (a, b))
    return cv2.calcOpticalFlowFarneback(ga, gb, None, **FARNEBACK_PARAMS)


FLOW_PROVIDERS = ("dis", "farneback")
FlowFn = Callable[[np.ndarray, np.ndarray], np.ndarray]


def flow_provider(name: str = "dis", preset: str = "medium") -> FlowFn:
    """The flow function `flow(a, b) -> float32 [H,W,2]` of provider `name`.

    "dis": OpenCV DIS with `preset` (ultrafast, fast, medium); one DIS object is reused across
    calls (not thread-safe). "farneback": OpenCV Farneback with FARNEBACK_PARAMS (preset ignored).
    """
    if name == "dis":
        if preset not in _DIS_PRESETS:
            raise ConfigError(f"DIS preset {preset!r}: use one of {', '.join(_DIS_PRESETS)}")
        dis = cv2.DISOpticalFlow_create(_DIS_PRESETS[preset])

        def flow(a: np.ndarray, b: np.ndarray) -> np.ndarray:
            ga, gb = (cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) for f in (a, b))
            return dis.calc(ga, gb, None)

        return flow
    if name == "farneback":
        return farneback_flow
    raise ConfigError(f"flow provider {name!r}: use one of {', '.join(FLOW_PROVIDERS)}")


def provider_key(name: str, preset: str) -> str:
    """A string naming the provider and every parameter that changes its flows (for cache keys)."""
    if name == "farneback":
        return "farneback:" + ",".join(f"{k}={v}" for k, v in sorted(FARNEBACK_PARAMS.items()))
    return f"{name}:{preset}:opencv{cv2.__version__}"


def sample_points(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    h, w = flow.shape[:2]
    gx, gy = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    return gx + flow[..., 0], gy + flow[..., 1]


def warp_image(img: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """Sample `img` at p + flow(p) (bilinear, border replicated): flow A->B warps B onto A."""
    mx, my = sample_points(flow)
    return cv2.remap(img, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def occlusion_mask(
    flow_ab: np.ndarray, flow_ba: np.ndarray, alpha1: float = 0.01, alpha2: float = 0.5, motion_boundaries: bool = True
) -> np.ndarray:
    """float32 [H,W] in {0,1}: 1 where flow A->B is reliable.

    Forward-backward check (Sundaram et al. 2010, as used by Ruder et al. 2016): a pixel is
    occluded when |w + w_back|^2 > alpha1 (|w|^2 + |w_back|^2) + alpha2, with w_back the
    backward flow sampled at the forward target. Motion boundaries (|grad w_back|^2 >
    0.01 |w_back|^2 + 0.002) and pixels that leave the frame are masked too.
    """
    h, w = flow_ab.shape[:2]
    back = warp_image(flow_ba, flow_ab)
    total = flow_ab + back
    lhs = (total**2).sum(-1)
    rhs = alpha1 * ((flow_ab**2).sum(-1) + (back**2).sum(-1)) + alpha2
    ok = lhs <= rhs
    if motion_boundaries:
        gu = np.stack(np.gradient(back[..., 0]), -1)
        gv = np.stack(np.gradient(back[..., 1]), -1)
        grad = (gu**2).sum(-1) + (gv**2).sum(-1)
        ok &= grad <= 0.01 * (back**2).sum(-1) + 0.002
    mx, my = sample_points(flow_ab)
    ok &= (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)
    return ok.astype(np.float32)


class ClipFlows:
    """Flows and masks between frames of one clip, computed once and reused (every model scored
    on the clip, every training pair drawn from it).

    For each offset k in `offsets`, pair (t, t+k) has `forward[k][t]` (flow t -> t+k) with its mask
    `forward_masks[k][t]`, and `backward[k][t]` (flow t+k -> t) with `backward_masks[k][t]`.
    `flows` / `masks` are the k=1 forward lists (what the warping error uses).

    Args:
        frames: uint8 RGB frames, all the same size.
        preset: DIS preset (ignored by farneback).
        provider: "dis" or "farneback".
        cache_dir: a folder for FlowCache; a second ClipFlows of the same frames, provider and
            offsets loads the flows from there (stored as float16: |error| <= 0.03 px below 64 px).
        offsets: frame distances k (1 for consecutive frames; e.g. (1, 5) for long-term pairs).
    """

    def __init__(
        self,
        frames: list[np.ndarray],
        preset: str = "medium",
        provider: str = "dis",
        cache_dir: str | Path | None = None,
        offsets: Sequence[int] = (1,),
    ) -> None:
        if len(frames) < 2:
            raise ValueError("flicker needs a clip of at least 2 frames")
        self.offsets = tuple(sorted({int(k) for k in offsets}))
        if not self.offsets or self.offsets[0] < 1:
            raise ConfigError(f"flow offsets {tuple(offsets)}: give frame distances >= 1")
        self.provider, self.preset = provider, preset
        key = clip_key(frames, provider_key(provider, preset), self.offsets)
        cache = FlowCache(cache_dir) if cache_dir is not None else None
        loaded = cache.load(key) if cache else None
        if loaded is None:
            loaded = self._compute(frames, flow_provider(provider, preset))
            if cache:  # read back, so the first run sees the same (float16-rounded) flows as later ones
                cache.save(key, loaded)
                loaded = cache.load(key) or loaded
        self.forward, self.forward_masks, self.backward, self.backward_masks = loaded
        self.flows: list[np.ndarray] = self.forward.get(1, [])  # flow t -> t+1
        self.masks: list[np.ndarray] = self.forward_masks.get(1, [])

    def _compute(self, frames: list[np.ndarray], flow: FlowFn) -> tuple[dict, dict, dict, dict]:
        fw, fm, bw, bm = {}, {}, {}, {}
        for k in self.offsets:
            fw[k], fm[k], bw[k], bm[k] = [], [], [], []
            for a, b in zip(frames[:-k], frames[k:]):
                f_ab, f_ba = flow(a, b), flow(b, a)
                fw[k].append(f_ab)
                fm[k].append(occlusion_mask(f_ab, f_ba))
                bw[k].append(f_ba)
                bm[k].append(occlusion_mask(f_ba, f_ab))
        return fw, fm, bw, bm


def clip_key(frames: Sequence[np.ndarray], provider: str, offsets: Sequence[int]) -> str:
    """A hash of the frames' pixels and shapes, the provider (with its parameters) and the offsets."""
    h = hashlib.sha256(f"{provider}|{tuple(offsets)}|{len(frames)}".encode())
    for f in frames:
        h.update(str(f.shape).encode())
        h.update(np.ascontiguousarray(f).data)
    return h.hexdigest()[:32]


class FlowCache:
    """Flows of whole clips on disk, one .npz per key (flows float16, masks uint8), written atomically."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def path(self, key: str) -> Path:
        return self.folder / f"flows-{key}.npz"

    def load(self, key: str) -> tuple[dict, dict, dict, dict] | None:
        path = self.path(key)
        if not path.is_file():
            return None
        try:
            with np.load(path) as z:
                out: tuple[dict, dict, dict, dict] = ({}, {}, {}, {})
                for name in z.files:  # "fw_1", "fm_1", "bw_1", "bm_1", ...
                    kind, k = name.split("_")
                    arr = z[name].astype(np.float32)
                    out[("fw", "fm", "bw", "bm").index(kind)][int(k)] = list(arr)
                return out
        except (OSError, ValueError, KeyError):
            return None  # unreadable: recompute and overwrite

    def save(self, key: str, data: tuple[dict, dict, dict, dict]) -> Path:
        from stylelite.runtime.files import atomic_path

        arrays = {}
        for kind, by_k in zip(("fw", "fm", "bw", "bm"), data):
            dtype = np.float16 if kind in ("fw", "bw") else np.uint8
            for k, items in by_k.items():
                arrays[f"{kind}_{k}"] = np.stack(items).astype(dtype)
        path = self.path(key)
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
        return path
