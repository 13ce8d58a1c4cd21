"""CPU priority of the pipeline's non-model stages (decode, pre/postprocess, encode).

When the model's threads cover every core, each millisecond a decode or encode thread takes from them
stalls the model's parallel loops for longer than that millisecond. In *background* priority the
stage threads run at Linux's SCHED_IDLE: they use only the cycles the model leaves idle (its serial
parts, the gaps between calls), and their queues absorb the wait. Measured with `mobilegen_s_050`
at 1280x720 on a 2-core machine, 24 interleaved rounds: offline end-to-end / model-only fps 0.87
with the stages at normal priority, 0.96 in background.

The price: other programs' threads always go first. If they keep the cores busy, background stages
starve and so does the model. `StarvationGuard` notices that (the model waits for frames while a
stage thread waits for a core) and the pipeline moves the stages back to normal priority. A thread's
priority cannot be raised again without privileges, so "moving" means fresh threads take over.
"""

from __future__ import annotations

import os
import time

from stylelite.runtime.errors import ConfigError

PRIORITIES = ("auto", "background", "normal")


def resolve(priority: str, mode: str) -> str:
    """ "background" or "normal" for a run in `mode`; auto is background offline, normal live (a live
    capture thread must keep pace with its camera, not wait for spare cycles)."""
    if priority not in PRIORITIES:
        raise ConfigError(f"stage priority {priority!r}: use one of {', '.join(PRIORITIES)}")
    if priority == "auto":
        return "background" if mode == "offline" and background_supported() else "normal"
    if priority == "background" and not background_supported():
        raise ConfigError("background stage priority needs Linux (SCHED_IDLE); use --stage-priority normal")
    return priority


def background_supported() -> bool:
    return hasattr(os, "sched_setscheduler") and hasattr(os, "SCHED_IDLE") and os.path.isdir("/proc/self/task")


def lower_this_thread() -> bool:
    """Put the calling thread in SCHED_IDLE; False when the system refuses."""
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))  # 0: the calling thread
        return True
    except (OSError, AttributeError):
        return False


def run_queue_ns(native_id: int | None) -> int | None:
    """Nanoseconds thread `native_id` of this process has spent runnable but waiting for a core."""
    if native_id is None:
        return None
    try:
        with open(f"/proc/self/task/{native_id}/schedstat") as f:
            return int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None  # the thread ended, or no schedstat on this kernel


class StarvationGuard:
    """Decides, from the model thread, when background stages are starved by other programs.

    Every `window` seconds it compares two fractions of that window: the time the model waited for a
    frame (or for room to hand one on) and, for each background stage thread, the time it waited for
    a core. Both at or over `threshold` means starved. A slow source (camera, realtime file) makes
    the model wait too, but its stage threads sleep rather than queue for a core, so it does not count.
    """

    def __init__(self, window: float = 1.0, threshold: float = 0.3) -> None:
        self.window = window
        self.threshold = threshold
        self._t0 = time.perf_counter()
        self._waited0 = 0.0
        self._queued0: dict[int, int] = {}

    def watch(self, native_ids: list[int | None]) -> None:
        """(Re)start a window over these threads."""
        self._t0 = time.perf_counter()
        self._queued0 = {i: q for i in native_ids if (q := run_queue_ns(i)) is not None}

    def starved(self, model_waited: float) -> bool:
        """`model_waited`: total seconds the model thread has waited so far in this run."""
        now = time.perf_counter()
        span = now - self._t0
        if span < self.window:
            return False
        idle = (model_waited - self._waited0) / span
        now_queued = {i: q for i in self._queued0 if (q := run_queue_ns(i)) is not None}
        queued = max(((q - self._queued0[i]) / 1e9 / span for i, q in now_queued.items()), default=0.0)
        self._t0, self._waited0, self._queued0 = now, model_waited, now_queued  # the next window
        return idle >= self.threshold and queued >= self.threshold
