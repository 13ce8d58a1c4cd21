"""The one timing loop: seconds per call after a warm-up, and the figures records keep from them.

The host benchmark (every clip frame, extra resolutions), the pipeline benchmark (model-only passes)
and the device runner all time through `time_calls`. Standard library and numpy only: this module
travels in the device runner bundle.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

MAX_LATENCY_SAMPLES = 2000  # per record: enough for a histogram, small in JSON lines (~16 kB)


def latency_samples_ms(samples_s: list[float], cap: int = MAX_LATENCY_SAMPLES) -> list[float]:
    """Per-call latencies in seconds -> the last `cap` of them in ms, rounded to 0.01 ms (as records keep them)."""
    return [round(s * 1000.0, 2) for s in samples_s[-cap:]]


def percentiles_ms(samples_s: list[float]) -> dict:
    """p50, p90, p99 and mean in ms, and the count n, of per-call seconds (a record's `latency_ms`)."""
    ms = np.asarray(samples_s, dtype=float) * 1000.0
    return {
        "p50": float(np.percentile(ms, 50)),
        "p90": float(np.percentile(ms, 90)),
        "p99": float(np.percentile(ms, 99)),
        "mean": float(ms.mean()),
        "n": int(ms.size),
    }


@dataclass
class Timing:
    """Seconds per timed call, and what the first timed calls returned (see `time_calls(keep=...)`)."""

    seconds: list[float] = field(default_factory=list)
    kept: list[Any] = field(default_factory=list)

    @property
    def latency_ms(self) -> dict:
        """p50, p90, p99, mean (ms) and n: a record's `latency_ms`."""
        return percentiles_ms(self.seconds)

    @property
    def samples_ms(self) -> list[float]:
        """The per-call latencies a record keeps (the last 2,000, in ms)."""
        return latency_samples_ms(self.seconds)

    @property
    def fps(self) -> float:
        """Calls per second of timed time."""
        total = sum(self.seconds)
        return len(self.seconds) / total if total > 0 else 0.0


def time_calls(
    fn: Callable[[int], Any],
    warmup: int = 0,
    min_iters: int = 1,
    min_seconds: float = 0.0,
    max_iters: int = 500,
    keep: int = 0,
    after_warmup: Callable[[], Any] | None = None,
    after_call: Callable[[int], Any] | None = None,
) -> Timing:
    """Time `fn(i)` for i = 0, 1, ... after a warm-up.

    Args:
        fn: the call to time; it gets the index of the timed call (every warm-up call gets 0).
        warmup: untimed calls first; with `min_seconds`, the warm-up also lasts a quarter of that time
            (a new input shape needs a few runs to settle).
        min_iters: at least this many timed calls.
        min_seconds: keep timing until this long has passed (a fast call gets many samples).
        max_iters: no more calls than this in either phase beyond `warmup` and `min_iters`.
        keep: keep what the first `keep` timed calls return (e.g. the stylized frames of a clip).
        after_warmup: called once between warm-up and timing (e.g. to reset a recurrent model's state).
        after_call: called with the index after each timed call, outside the timed span (e.g. a progress bar).
    """
    t_end = time.perf_counter() + min_seconds / 4
    n = 0
    while n < warmup or (time.perf_counter() < t_end and n < max_iters):
        fn(0)
        n += 1
    if after_warmup is not None:
        after_warmup()
    timing = Timing()
    t_end = time.perf_counter() + min_seconds
    while len(timing.seconds) < min_iters or (time.perf_counter() < t_end and len(timing.seconds) < max_iters):
        i = len(timing.seconds)
        t0 = time.perf_counter()
        out = fn(i)
        timing.seconds.append(time.perf_counter() - t0)
        if i < keep:
            timing.kept.append(out)
        if after_call is not None:
            after_call(i)
    return timing


def parallel_fps(fn: Callable[[int], Any], calls: int, workers: int, warmup: int = 1) -> float:
    """Calls per second of wall time when `workers` threads share `calls` calls of `fn(i)` (a frame-parallel
    EnginePool's throughput; one worker: the same as `time_calls(...).fps`). Each thread warms up first."""
    import threading

    if workers <= 1:
        return time_calls(fn, warmup=warmup, min_iters=calls).fps
    lock = threading.Lock()
    next_call = [0]
    ready = threading.Barrier(workers + 1)

    def work() -> None:
        for _ in range(warmup):
            fn(0)
        ready.wait()
        while True:
            with lock:
                i = next_call[0]
                next_call[0] += 1
            if i >= calls:
                return
            fn(i)

    threads = [threading.Thread(target=work, daemon=True) for _ in range(workers)]
    for t in threads:
        t.start()
    ready.wait()  # every thread warmed up: the clock starts
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return calls / (time.perf_counter() - t0)
