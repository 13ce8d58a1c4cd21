"""The records measurements become: one BenchRecord per (artifact, device, engine), PipelineRecord per
(model, size), and BenchRun (a host run's records with the frames they were measured on).

Records are written as JSON lines (`to_dict`) and read back with `BenchRecord.from_dict`, which also
reads lines written by older versions.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from stylelite.runtime.errors import InputError
from stylelite.runtime.files import read_jsonl


@dataclass
class BenchRecord:
    """One artifact measured on one device with one engine (a JSON line of `stylelite bench --out`)."""

    model: str
    artifact: str
    format: str
    precision: str
    engine: str
    size_mb: float | None
    params: int | None
    gmacs_256: float | None
    width: int
    height: int
    threads: int
    frames: int
    latency_ms: dict  # p50, p90, p99, mean, n (tools that print aggregates give what they print)
    fps: float
    peak_rss_mb: float | None  # of the whole benchmarking process
    model_memory_mb: float | None  # peak RSS of a fresh process running only this model, minus the runtime's own
    flicker: float | None
    flicker_floor: float | None
    flicker_per_frame: list[float]
    fidelity_psnr_db: float | None = None
    fidelity_ssim: float | None = None
    reference: str | None = None
    extra_latency: dict = field(default_factory=dict)  # "640x480" -> {p50, p90, fps}
    runtime_memory_mb: float | None = None  # the fresh process before loading the model (python + runtime)
    device: dict = field(default_factory=dict)
    status: str = "ok"
    parity_psnr_db: float | None = None  # a device's outputs against the host's, same artifact
    timestamp: float = 0.0
    tof: float | None = None  # tOF (Chu et al. 2020): mean L1 px between output-pair and input-pair flows
    tof_floor: float | None = None  # tOF of the inverted input clip (a perfectly stable per-pixel filter)
    latency_samples_ms: list[float] = field(default_factory=list)  # per-frame latencies (the last 2,000, 0.01 ms)
    retries: int = 0  # dropped connections retried while this record was measured (ssh/adb targets)
    clip: str | None = None  # the clip's file name (records of several clips sit side by side)
    fidelity_color_de: float | None = None  # mean CIE76 delta E to the reference at 1/8 size (runtime.metrics)

    def to_dict(self) -> dict:
        """The record as JSON-ready data (one JSON line); `from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> BenchRecord:
        """The record a `to_dict` (a JSON line) holds: `from_dict(r.to_dict()) == r`.

        Lines from older versions (or hand-written ones) may lack fields: a missing measurement is
        None (not measured, so a budget on it fails), a missing name "-", a missing count 0, and a
        missing or null list or mapping an empty one. Keys this version does not know are left out.

        Raises:
            InputError: `data` is a pipeline record (`stylelite bench --pipeline`), not a bench record.
        """
        if data.get("kind") == "pipeline":
            what = "a pipeline record (stylelite bench --pipeline), not a bench record"
            raise InputError(f"{data.get('model', '?')}: {what}")
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        for name, fallback in _NOT_RECORDED.items():
            if values.get(name) is None and (name not in values or isinstance(fallback, (dict, list))):
                values[name] = copy.copy(fallback)
        return cls(**values)


# what `from_dict` puts in for a field a line does not hold (or holds as null, for lists and mappings)
_NOT_RECORDED: dict[str, object] = {
    **dict.fromkeys(("model", "artifact", "format", "precision", "engine"), "-"),
    **dict.fromkeys(("size_mb", "params", "gmacs_256", "peak_rss_mb", "model_memory_mb"), None),
    **dict.fromkeys(("flicker", "flicker_floor"), None),
    **dict.fromkeys(("width", "height", "threads", "frames"), 0),
    "fps": 0.0,
    **dict.fromkeys(("latency_ms", "extra_latency", "device"), {}),
    **dict.fromkeys(("flicker_per_frame", "latency_samples_ms"), []),
}


def read_bench_records(paths: Iterable[str | Path]) -> list[BenchRecord]:
    """The bench records in JSON-lines files, in order; pipeline records (`bench --pipeline`) are left out."""
    return [
        BenchRecord.from_dict(line) for path in paths for line in read_jsonl(path) if line.get("kind") != "pipeline"
    ]


@dataclass
class BenchRun:
    """Records and, where the run kept them, the frames they were measured on (for plots and side-by-side media)."""

    records: list[BenchRecord]
    input_frames: list[np.ndarray] = field(default_factory=list)
    outputs: dict[str, list[np.ndarray]] = field(default_factory=dict)  # artifact path -> stylized frames
    flicker_floor: float | None = None  # of the input clip; None: the records' own
    floor_per_frame: list[float] = field(default_factory=list)
    fps_source: float = 0.0


@dataclass
class PipelineRecord:
    """Model-only against end-to-end fps of one model at one size (a JSON line of `stylelite bench --pipeline`)."""

    kind: str
    model: str
    engine: str
    size: str
    frames: int
    clip_fps: float
    model_fps: float  # engine.infer alone: mean of the passes just before and after the median offline pass
    offline_fps: float  # decode -> stylize -> encode, every frame
    offline_ratio: float  # offline_fps / model_fps of the median round (the goal is >= 0.9)
    offline_ratio_range: list  # [lowest, highest] ratio over the rounds
    offline_ratio_normal: float  # the same, with the non-model stages at normal priority (median round)
    stage_priority: str  # of the offline run reported (background, or normal where not supported)
    live_fps: float  # frames out per second while the clip plays at clip_fps
    live_dropped: int
    live_latency_ms_p50: float  # capture -> written, per frame
    live_latency_ms_p95: float
    stage_ms: dict  # mean per-stage wall ms in the offline run (decode, pre, infer, post, write = MP4 encode)
    stage_cpu_ms: dict  # mean CPU ms of the non-model stages' own threads (FFmpeg's helper threads not counted)

    def to_dict(self) -> dict:
        """The record as JSON-ready data (one JSON line)."""
        return asdict(self)
