"""The dense-conv ceiling: what this engine, precision and device reach on dense 3x3 convolutions.

Measured in the same run as the models (the machine's speed moves between runs, so only ratios
measured side by side mean much): the committed reference artifact of the model's format and
precision (runtime/reference, built by stylelite.export.ceiling_reference) is loaded with the same
engine options and threads and timed on the same frames through the same `stylize` call, pre- and
postprocessing included for both. A model's efficiency is its achieved GMAC/s over the reference's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylelite.benchmark.timing import parallel_fps, percentiles_ms, time_calls
from stylelite.runtime.engines import EngineOptions, load_engine
from stylelite.runtime.reference import reference_artifact


@dataclass(frozen=True)
class Ceiling:
    """The reference's achieved throughput at one frame size."""

    artifact: str
    width: int
    height: int
    p50_ms: float
    gmacs_per_s: float

    def to_dict(self) -> dict:
        return dict(vars(self))


def achieved_gmacs_per_s(gmacs_256: float | None, width: int, height: int, p50_ms: float | None) -> float | None:
    """GMAC/s of a fully convolutional model that does `gmacs_256` at 256x256 and took `p50_ms` at W x H."""
    if not gmacs_256 or not p50_ms or p50_ms <= 0:
        return None
    return gmacs_256 * (width * height / 65536.0) / (p50_ms / 1000.0)


def measure_ceiling(
    suffix: str,
    precision: str,
    frame: np.ndarray,
    threads: int = 0,
    engine_options: EngineOptions | None = None,
    warmup: int = 3,
    min_iters: int = 10,
    min_seconds: float = 1.5,
) -> Ceiling | None:
    """Time the reference for `suffix`/`precision` on `frame` (resized to the reference's fixed size,
    if it has one); None when no reference is shipped for that pair."""
    path = reference_artifact(suffix, precision)
    if path is None:
        return None
    engine = load_engine(path, threads=threads, options=engine_options)
    meta = engine.meta
    if meta.height and meta.width:  # a static reference (TFLite) runs at its own size
        import cv2

        frame = cv2.resize(frame, (meta.width, meta.height), interpolation=cv2.INTER_AREA)
    h, w = frame.shape[:2]
    workers = getattr(engine, "workers", 1)
    if workers > 1:  # frame-parallel copies (--workers): the time per frame is the wall time over the frames
        fps = parallel_fps(lambda _: engine.stylize(frame), max(min_iters, 4 * workers), workers, warmup)
        p50 = 1000.0 / fps
        return Ceiling(Path(path).name, w, h, p50, achieved_gmacs_per_s(meta.gmacs_256, w, h, p50) or 0.0)
    timing = time_calls(lambda _: engine.stylize(frame), warmup, min_iters, min_seconds)
    p50 = percentiles_ms(timing.seconds)["p50"]
    return Ceiling(Path(path).name, w, h, p50, achieved_gmacs_per_s(meta.gmacs_256, w, h, p50) or 0.0)
