"""What the staged pipeline hands out and measures: each styled frame, and a run's counts and stage timings."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

SAMPLES = 10_000  # per-stage samples kept (the most recent), so a camera left running for hours stays bounded


@dataclass
class StyledFrame:
    index: int
    rgb: np.ndarray  # the input frame, uint8 [H,W,3]
    styled: np.ndarray  # the output, same size
    t_capture: float  # perf_counter at capture
    name: str = ""


@dataclass
class PipelineStats:
    """What a run measured: counts, per-stage mean ms, and capture-to-output latency per frame."""

    mode: str
    frames_in: int = 0
    frames_out: int = 0
    dropped: int = 0
    seconds: float = 0.0
    # the most recent SAMPLES of each, so a camera left running for hours keeps a bounded record
    stage_ms: dict[str, deque] = field(
        default_factory=lambda: {k: deque(maxlen=SAMPLES) for k in ("decode", "pre", "infer", "post")}
    )
    # CPU time of the stage's own thread: what a stage costs, whatever it waited for (a background stage
    # waits for spare cycles, which makes its wall time above long without costing the model anything)
    stage_cpu_ms: dict[str, deque] = field(
        default_factory=lambda: {k: deque(maxlen=SAMPLES) for k in ("decode", "pre", "post")}
    )
    latency_ms: deque = field(default_factory=lambda: deque(maxlen=SAMPLES))
    process_size: tuple[int, int] | None = None  # (w, h) the model ran at when it was not the frame's own
    stage_priority: str = "normal"  # of the non-model stages (stylelite.runtime.stage_priority), as the run ended
    promoted_at_frame: int | None = None  # background stages starved and moved to normal priority here

    @property
    def fps(self) -> float:
        return self.frames_out / self.seconds if self.seconds else 0.0

    def mean_ms(self, stage: str, cpu: bool = False) -> float:
        v = (self.stage_cpu_ms if cpu else self.stage_ms).get(stage) or []
        return float(np.mean(v)) if v else 0.0

    def latency_percentile(self, q: float) -> float:
        return float(np.percentile(self.latency_ms, q)) if self.latency_ms else 0.0

    def summary(self) -> dict:
        return {
            "mode": self.mode,
            "frames_in": self.frames_in,
            "frames_out": self.frames_out,
            "dropped": self.dropped,
            "seconds": round(self.seconds, 3),
            "fps": round(self.fps, 2),
            "stage_ms": {k: round(self.mean_ms(k), 3) for k in self.stage_ms},
            "stage_cpu_ms": {k: round(self.mean_ms(k, cpu=True), 3) for k in self.stage_cpu_ms},
            "latency_ms_p50": round(self.latency_percentile(50), 2),
            "latency_ms_p95": round(self.latency_percentile(95), 2),
            "process_size": list(self.process_size) if self.process_size else None,
            "stage_priority": self.stage_priority,
            "promoted_at_frame": self.promoted_at_frame,
        }
