"""Flicker: the warping error of Lai et al. (ECCV 2018).

E_warp = mean over t of  sum(M_t * ||O_t - W(O_{t+1})||^2) / sum(M_t), with W the warp by the
optical flow of the *input* clip (t -> t+1), M_t its occlusion mask, and O in [0, 1] RGB.
The input clip's own E_warp is the floor: the error of a filter that is perfectly stable.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from runtime.flow import ClipFlows, warp_image


@dataclass(frozen=True)
class Flicker:
    mean: float
    per_frame: list[float]


def warping_error(outputs: list[np.ndarray], flows: ClipFlows) -> Flicker:
    """Warping error of uint8 RGB `outputs` (same size as the clip the flows came from)."""
    if len(outputs) != len(flows.flows) + 1:
        raise ValueError(f"{len(outputs)} outputs for a clip of {len(flows.flows) + 1} frames")
    errs = []
    for t, (flow, mask) in enumerate(zip(flows.flows, flows.masks)):
        a = outputs[t].astype(np.float32) / 255.0
        b = warp_image(outputs[t + 1], flow).astype(np.float32) / 255.0
        sq = ((a - b) ** 2).sum(-1)
        errs.append(float((sq * mask).sum() / max(mask.sum(), 1.0)))
    return Flicker(float(np.mean(errs)), errs)
