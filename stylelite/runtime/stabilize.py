"""Runtime stabilization for any model (teacher included): flow-guided blending of the previous output.

For each frame t > 0: flow from the current input frame to the previous one (cur -> prev), the
previous *stabilized* output warped onto the current frame, and

    out_t = (1 - s * M) * styled_t + s * M * warp(out_{t-1})

with s the strength and M the reliability mask. Blending the stabilized (not the raw) previous output
makes this a recursive filter along motion paths: on a static, reliable region per-frame noise of
variance v drops to v (1 - s) / (1 + s), and the variance of its frame-to-frame change (what the
warping error sees) to (1 - s)^2 / (1 + s) of the unstabilized one (1/6 at s = 0.5). Where M is 0
(occlusions, new content, cuts) the model's own output passes through unchanged, so nothing old is
smeared over what was not there before.

The mask is photometric by default: M = 1 where the previous *input* frame, warped by the same flow,
matches the current input (grey-weighted mean |RGB difference| <= `photo_threshold` levels) and the flow
stays inside the frame. That needs one flow per frame; the forward-backward check (`mask="fb"`,
Sundaram et al. 2010) needs two, so it doubles the flow cost, and the photometric test catches the
failures that matter here (disocclusions, flow errors that would drag in wrong content) directly.
No torch: numpy and OpenCV only.
"""

from __future__ import annotations

import time

import cv2
import numpy as np

from stylelite.runtime.errors import ConfigError
from stylelite.runtime.flow import flow_provider, occlusion_mask, sample_points


class Stabilizer:
    """Stateful per-clip stabilizer: call `step(frame_in, styled)` once per frame, in order.

    Args:
        strength: s in [0, 1]; 0 returns the model's output unchanged, 0.3-0.7 is a useful range,
            1 freezes reliable regions to the first frame's output.
        provider: flow provider ("dis" or "farneback").
        preset: DIS preset ("ultrafast" ~2 ms at 640x480 on the dev CPU; "fast"; "medium").
        mask: "photometric" (one flow per frame) or "fb" (forward-backward check, two flows).
        photo_threshold: grey levels (0-255) of mean RGB difference above which a pixel is unreliable.
    """

    def __init__(
        self,
        strength: float = 0.5,
        provider: str = "dis",
        preset: str = "ultrafast",
        mask: str = "photometric",
        photo_threshold: float = 12.0,
    ) -> None:
        if not 0.0 <= strength <= 1.0:
            raise ConfigError(f"stabilize strength {strength}: use a value in [0, 1] (0 is off, 0.5 a good start)")
        if mask not in ("photometric", "fb"):
            raise ConfigError(f"stabilize mask {mask!r}: use 'photometric' or 'fb'")
        self.strength, self.mask_kind, self.photo_threshold = float(strength), mask, float(photo_threshold)
        self.flow = flow_provider(provider, preset)
        self.flow_ms: list[float] = []  # flow time per frame (both flows for "fb")
        self._prev_in: np.ndarray | None = None
        self._prev_out: np.ndarray | None = None

    def reset(self) -> None:
        """Forget the previous frame (call at a scene cut or before another clip)."""
        self._prev_in = self._prev_out = None

    @property
    def mean_flow_ms(self) -> float | None:
        return float(np.mean(self.flow_ms)) if self.flow_ms else None

    def step(self, frame_in: np.ndarray, styled: np.ndarray) -> np.ndarray:
        """uint8 RGB input frame and the model's uint8 RGB output for it -> stabilized uint8 output."""
        if self.strength == 0.0:
            return styled
        if self._prev_in is None or self._prev_in.shape != frame_in.shape or self._prev_out.shape != styled.shape:
            out = styled
        else:
            t0 = time.perf_counter()
            flow = self.flow(frame_in, self._prev_in)  # cur -> prev
            back = self.flow(self._prev_in, frame_in) if self.mask_kind == "fb" else None
            self.flow_ms.append((time.perf_counter() - t0) * 1000.0)
            if flow.shape[:2] != styled.shape[:2]:
                raise ConfigError(
                    f"styled output {styled.shape[1]}x{styled.shape[0]} differs from the input frame "
                    f"{frame_in.shape[1]}x{frame_in.shape[0]}: stabilize needs outputs of the input's size"
                )
            h, w = flow.shape[:2]
            mx, my = sample_points(flow)
            if back is not None:
                m = occlusion_mask(flow, back)
            else:  # grey-weighted mean |RGB difference| of the previous input warped onto the current one
                warped_in = cv2.remap(self._prev_in, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                diff = cv2.cvtColor(cv2.absdiff(warped_in, frame_in), cv2.COLOR_RGB2GRAY)
                m = ((diff <= self.photo_threshold) & (mx >= 0) & (mx <= w - 1) & (my >= 0) & (my <= h - 1)).astype(
                    np.float32
                )
            warped = cv2.remap(self._prev_out, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            a = self.strength * m
            out = cv2.blendLinear(styled, warped, 1.0 - a, a)
        self._prev_in, self._prev_out = frame_in, out
        return out
