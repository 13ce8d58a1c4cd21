"""Optical flow (OpenCV DIS), warping and forward-backward occlusion masks, in numpy.

Convention: flow[y, x] = (dx, dy) maps pixel (x, y) of frame A to (x+dx, y+dy) in frame B
("flow A->B"); warp_image(B, flow) then samples B at those points, aligning B with A.
"""

from __future__ import annotations

import cv2
import numpy as np

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
    """Flows and masks between consecutive frames of one clip, computed once and reused
    for every model scored on that clip."""

    def __init__(self, frames: list[np.ndarray], preset: str = "medium") -> None:
        if len(frames) < 2:
            raise ValueError("flicker needs a clip of at least 2 frames")
        self.flows: list[np.ndarray] = []  # flow t -> t+1
        self.masks: list[np.ndarray] = []
        for a, b in zip(frames[:-1], frames[1:]):
            fw, bw = dis_flow(a, b, preset), dis_flow(b, a, preset)
            self.flows.append(fw)
            self.masks.append(occlusion_mask(fw, bw))
