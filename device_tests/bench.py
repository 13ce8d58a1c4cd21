"""`stylelite bench`: latency, fps, memory, size, flicker and fidelity of artifacts on one clip.

All models run on the same frames in one process, one after another, so their figures
(and the ratios between them) are measured side by side. No torch is needed.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from stylelite.device_tests.facts import local_facts
from stylelite.device_tests.memory import peak_rss_mb, reset_peak_rss
from stylelite.device_tests.memory_probe import model_memory_mb
from stylelite.device_tests.remote_runner import latency_samples_ms
from stylelite.runtime.engines import EngineOptions, load_engine
from stylelite.runtime.errors import ConfigError
from stylelite.runtime.files import append_jsonl
from stylelite.runtime.flicker import temporal_flow_error, tof_floor, warping_error
from stylelite.runtime.flow import ClipFlows
from stylelite.runtime.metrics import psnr, ssim
from stylelite.runtime.pipeline import parse_size
from stylelite.runtime.video import read_video


@dataclass
class BenchRecord:
    model: str
    artifact: str
    format: str
    precision: str
    engine: str
    size_mb: float
    params: int | None
    gmacs_256: float | None
    width: int
    height: int
    threads: int
    frames: int
    latency_ms: dict
    fps: float
    peak_rss_mb: float  # of the whole benchmarking process
    model_memory_mb: float  # peak RSS of a fresh process running only this model, minus the runtime's own
    flicker: float
    flicker_floor: float
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

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class BenchRun:
    records: list[BenchRecord]
    input_frames: list[np.ndarray]
    outputs: dict[str, list[np.ndarray]]  # artifact path -> stylized frames
    flicker_floor: float
    floor_per_frame: list[float]
    fps_source: float


def _percentiles(samples_s: list[float]) -> dict:
    ms = np.asarray(samples_s) * 1000.0
    return {
        "p50": float(np.percentile(ms, 50)),
        "p90": float(np.percentile(ms, 90)),
        "p99": float(np.percentile(ms, 99)),
        "mean": float(ms.mean()),
        "n": int(ms.size),
    }


def _time_calls(fn, warmup: int, min_iters: int, min_seconds: float, max_iters: int = 500) -> list[float]:
    """Seconds per call of `fn` after warm-up; at least `min_iters` samples, more until
    `min_seconds` of timing (warm-up: at least `warmup` calls and a quarter of that time)."""
    t_end = time.perf_counter() + min_seconds / 4
    n = 0
    while n < warmup or (time.perf_counter() < t_end and n < max_iters):
        fn()
        n += 1
    samples: list[float] = []
    t_end = time.perf_counter() + min_seconds
    while len(samples) < min_iters or (time.perf_counter() < t_end and len(samples) < max_iters):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


def bench(
    models: list[str | Path],
    clip: str | Path,
    reference: str | Path | None = None,
    warmup: int = 2,
    iters: int = 20,
    threads: int = 0,
    engine_options: EngineOptions | None = None,
    max_frames: int | None = None,
    latency_sizes: list[str] = (),
    latency_iters: int | None = None,
    min_seconds: float = 2.0,
    out: str | Path | None = None,
    progress: bool = True,
) -> BenchRun:
    """Benchmark exported models on a clip.

    Args:
        models: artifact files (.onnx, .tflite).
        clip: a video file; every model stylizes all of its frames (up to max_frames).
        reference: the artifact whose outputs define fidelity (e.g. the exported teacher);
            default: none (no fidelity columns). It may also be one of `models`.
        warmup: untimed runs before timing.
        iters: minimum number of timed frames (the clip is looped if shorter).
        threads: inference threads (0: the engine's default; else engine_options.threads).
        engine_options: EngineOptions for every model (an option a model's engine does not take is an error).
        latency_sizes: extra resolutions (e.g. "640x480") timed on a resized clip frame.
        latency_iters: minimum timed runs per extra resolution (default: iters).
        min_seconds: at each extra resolution, keep warming up and timing until this long has
            passed (a fast model gets many samples; a new input shape needs a few runs to settle).
        out: a JSONL file to append the records to.
    """
    from tqdm import tqdm

    threads = threads or (engine_options.threads if engine_options else 0)
    if not models:
        raise ConfigError("give at least one model file to benchmark")
    frames, fps_source = read_video(clip, max_frames)
    if len(frames) < 2:
        raise ConfigError(f"{Path(clip).name} has {len(frames)} frame(s); flicker needs at least 2")
    sizes = [parse_size(s) for s in latency_sizes]
    flows = ClipFlows(frames)
    floor = warping_error(frames, flows)
    tof_min = tof_floor(frames, flows).mean
    facts = local_facts()
    paths = [Path(m) for m in models]
    order = paths + ([Path(reference)] if reference and Path(reference) not in paths else [])
    outputs: dict[str, list[np.ndarray]] = {}
    records: dict[str, BenchRecord] = {}
    h, w = frames[0].shape[:2]
    for path in order:
        reset_peak_rss()
        memory = model_memory_mb(path, w, h, threads=threads)
        engine = load_engine(path, threads=threads, options=engine_options)
        for _ in range(warmup):
            engine.stylize(frames[0])
        if getattr(engine, "recurrent", False):  # it carries its previous output: start the clip afresh
            engine.reset()
        samples, outs = [], []
        n_timed = max(iters, len(frames))
        for i in tqdm(range(n_timed), desc=f"bench {path.name}", unit="frame", disable=not progress):
            t0 = time.perf_counter()
            y = engine.stylize(frames[i % len(frames)])
            samples.append(time.perf_counter() - t0)
            if i < len(frames):
                outs.append(y)
        extra = {}
        for sw, sh in sizes:
            import cv2

            big = cv2.resize(frames[0], (sw, sh), interpolation=cv2.INTER_LINEAR)
            t = _time_calls(lambda e=engine, f=big: e.stylize(f), warmup, latency_iters or iters, min_seconds)
            lat = _percentiles(t)
            extra[f"{sw}x{sh}"] = {**lat, "fps": 1000.0 / lat["mean"]}
        lat = _percentiles(samples)
        flick = warping_error(outs, flows)
        meta = engine.meta
        records[str(path)] = BenchRecord(
            model=meta.model,
            artifact=str(path),
            format=path.suffix.lstrip("."),
            precision=meta.precision,
            engine=engine.name,
            size_mb=path.stat().st_size / 1e6,
            params=meta.extra.get("params"),
            gmacs_256=meta.extra.get("gmacs_256"),
            width=w,
            height=h,
            threads=threads,
            frames=len(frames),
            latency_ms=lat,
            fps=1000.0 / lat["mean"],
            latency_samples_ms=latency_samples_ms(samples),
            peak_rss_mb=peak_rss_mb(),
            model_memory_mb=memory["model_mb"],
            runtime_memory_mb=memory["runtime_mb"],
            flicker=flick.mean,
            flicker_floor=floor.mean,
            flicker_per_frame=flick.per_frame,
            extra_latency=extra,
            device=facts,
            timestamp=time.time(),
            tof=temporal_flow_error(outs, flows).mean,
            tof_floor=tof_min,
        )
        outputs[str(path)] = outs
        del engine
    if reference:
        ref = outputs[str(Path(reference))]
        for key, rec in records.items():
            outs = outputs[key]
            rec.reference = str(reference)
            rec.fidelity_psnr_db = float(np.mean([min(psnr(a, b), 99.0) for a, b in zip(outs, ref)]))
            rec.fidelity_ssim = ssim(np.stack(outs), np.stack(ref))
    result = [records[str(p)] for p in order]
    if out:
        for rec in result:
            append_jsonl(out, rec.to_dict())
    return BenchRun(result, frames, outputs, floor.mean, floor.per_frame, fps_source)


def format_table(records: list[BenchRecord]) -> str:
    """The one table: model | format | precision | size MB | GMAC | p50 | p90 | FPS | flicker | PSNR | status."""
    head = [
        "model",
        "format",
        "precision",
        "size MB",
        "GMAC@256",
        "p50 ms",
        "p90 ms",
        "FPS",
        "flicker",
        "PSNR dB",
        "status",
    ]
    by_device = len({r.device.get("device") for r in records}) > 1 or any(
        r.device.get("kind", "local") != "local" for r in records
    )
    if by_device:
        head = ["device", "engine"] + head
    num = lambda v, fmt: "-" if v is None else format(v, fmt)  # noqa: E731
    rows = []
    for r in records:
        rows.append(
            ([r.device.get("device", "?"), r.engine] if by_device else [])
            + [
                Path(r.artifact).name,
                r.format,
                r.precision,
                f"{r.size_mb:.2f}",
                "-" if r.gmacs_256 is None else f"{r.gmacs_256:.2f}",
                num(r.latency_ms.get("p50"), ".1f"),
                num(r.latency_ms.get("p90"), ".1f"),
                num(r.fps or None, ".1f"),
                num(r.flicker, ".5f"),
                "-"
                if r.fidelity_psnr_db is None
                else ("ref" if r.artifact == r.reference else f"{r.fidelity_psnr_db:.2f}"),
                r.status,
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(n) for c, n in zip(cells, widths))  # noqa: E731
    out = [line(head), line(["-" * n for n in widths])] + [line(r) for r in rows]
    if records and by_device:
        out.append(f"flicker floor (input clip): {records[0].flicker_floor:.5f}")
    elif records:
        out.append(
            f"flicker floor (input clip): {records[0].flicker_floor:.5f}   clip: {records[0].width}x"
            f"{records[0].height}, {records[0].frames} frames"
        )
    for r in records:
        for size, lat in r.extra_latency.items():
            out.append(
                f"{Path(r.artifact).name} at {size}: p50 {lat['p50']:.1f} ms, p90 {lat['p90']:.1f} ms, "
                f"{lat['fps']:.1f} FPS"
            )
    return "\n".join(out)
