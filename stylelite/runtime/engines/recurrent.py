"""State for recurrent artifacts: models that take their own previous output as a second input.

An artifact is recurrent when its metadata's `recurrent` field names PREV_OUTPUT_INPUT (the
`mobilegen_t_*` students). The engine keeps the previous raw output (float, in the model's output
range, at the padded size) and feeds it as `prev_output` with the next frame, so `Engine.infer` must be
called once per frame, in order — as `Engine.stylize`, `stylelite run` and `stylelite bench` do.

The first frame, a frame of another size and the first frame after `reset()` get the current input
mapped to the output range as `prev_output` (`initial_prev`): one model call per frame always (no
latency spike on a cut or a resize), and exactly the first-frame condition the student is trained on
(distill/losses.py recurrent_losses), so a first frame is as good as a per-frame student's.
No torch here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from stylelite.runtime.errors import ExportError
from stylelite.runtime.metadata import PREV_OUTPUT_INPUT, ArtifactMetadata

__all__ = ["PREV_OUTPUT_INPUT", "RecurrentMixin", "initial_prev"]


def initial_prev(x: np.ndarray, meta: ArtifactMetadata) -> np.ndarray:
    """float32 [N,3,H,W] in the input range -> the same frame in the output range (a first frame's prev)."""
    (a, b), (c, d) = meta.input_range, meta.output_range
    if (a, b) == (c, d):
        return np.ascontiguousarray(x, dtype=np.float32)
    return ((x - a) * ((d - c) / (b - a)) + c).astype(np.float32)


class RecurrentMixin:
    """Carries a recurrent model's previous output from frame to frame (a no-op for other models).

    The engine calls `init_recurrent(input_names)` once its metadata is loaded, and routes `infer` through
    `run_recurrent(batch, run_one)` when `self.recurrent`; `run_one(x [1,3,H,W], prev [1,3,H,W])` is one
    raw model call. A batch of N frames is taken as N consecutive frames.
    """

    meta: ArtifactMetadata
    path: object
    _prev: np.ndarray | None = None
    recurrent: bool = False

    def init_recurrent(self, input_names) -> None:
        self.recurrent = self.meta.is_recurrent
        if self.recurrent and PREV_OUTPUT_INPUT not in set(input_names):
            raise ExportError(
                f"{getattr(self.path, 'name', self.path)} is marked recurrent but has no {PREV_OUTPUT_INPUT} "
                "input; re-export it with `stylelite export`"
            )
        self._prev = None

    def reset(self) -> None:
        """Forget the previous output: the next frame starts a new clip (call it between clips)."""
        self._prev = None

    def run_recurrent(self, batch: np.ndarray, run_one: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
        outs = []
        for i in range(len(batch)):
            x = batch[i : i + 1]
            if self._prev is None or self._prev.shape != x.shape:
                self._prev = initial_prev(x, self.meta)
            y = np.asarray(run_one(x, self._prev), dtype=np.float32)
            self._prev = y
            outs.append(y)
        return outs[0] if len(outs) == 1 else np.concatenate(outs)
