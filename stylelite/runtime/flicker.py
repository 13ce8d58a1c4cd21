"""Flicker: the warping error of Lai et al. (ECCV 2018).

E_warp = mean over t of  sum(M_t * ||O_t - W(O_{t+1})||^2) / sum(M_t), with W the warp by the
optical flow of the *input* clip (t -> t+1), M_t its occlusion mask, and O in [0, 1] RGB.
The input clip's own E_warp is the floor: the error of a filter that is perfectly stable.

tOF (Chu et al. 2020, TecoGAN): mean over t of the per-pixel L1 distance (pixels, summed over
dx and dy) between the flow of the output pair (O_t -> O_{t+1}) and the flow of the input pair,
both by the same provider. It is 0 when the output moves exactly as the input does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stylelite.runtime.flow import ClipFlows, flow_provider, warp_image


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


def temporal_flow_error(outputs: list[np.ndarray], flows: ClipFlows) -> Flicker:
    """tOF of uint8 RGB `outputs` against the input flows `flows.flows` (same provider and preset)."""
    if len(outputs) != len(flows.flows) + 1:
        raise ValueError(f"{len(outputs)} outputs for a clip of {len(flows.flows) + 1} frames")
    flow = flow_provider(flows.provider, flows.preset)
    errs = [float(np.abs(flow(outputs[t], outputs[t + 1]) - f_in).sum(-1).mean()) for t, f_in in enumerate(flows.flows)]
    return Flicker(float(np.mean(errs)), errs)


def tof_floor(frames: list[np.ndarray], flows: ClipFlows) -> Flicker:
    """tOF of the inverted input clip (255 - frame): a perfectly stable per-pixel filter, so what is left is
    the flow estimator's own response to a change of appearance (about 0 for DIS, whose costs do not
    change when the grey levels flip sign)."""
    return temporal_flow_error([255 - f for f in frames], flows)
