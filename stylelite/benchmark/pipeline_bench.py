"""`stylelite bench --pipeline`: model-only fps against end-to-end fps (decode and encode included).

For each size the clip is resized and written as a real MP4, then measured side by side in one run:
1. model only: `engine.infer` on the clip's preprocessed frames, timed before and after each pass of
   step 2; the mean of the two is that pass's reference, so a machine that slows down during the run
   does not flatter the ratio;
2. offline: the overlapping pipeline, MP4 in -> MP4 out, every frame, in five short passes (machines
   shared with others drift within seconds); the median ratio is reported with the range. Each round
   runs it twice: non-model stages in background priority (the default), then at normal priority
   for comparison (stylelite.runtime.stage_priority);
3. live: the clip played at its own frame rate (as a camera delivers it), newest frame wins;
   capture-to-output latency p50/p95 and dropped frames;
4. the dense-conv ceiling (benchmark/ceiling.py) of the model's format and precision at that size: the
   GMAC/s the engine reaches on dense 3x3 convs, and so the fps the model's MACs would give at best. A
   frame-rate goal above that needs fewer MACs, not a better pipeline.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import cv2
import numpy as np

from stylelite.benchmark.records import PipelineRecord
from stylelite.benchmark.table import text_table
from stylelite.benchmark.timing import parallel_fps
from stylelite.runtime.engines import EngineOptions, load_engine
from stylelite.runtime.files import append_jsonl
from stylelite.runtime.pipeline import PipelineStats, stream_frames
from stylelite.runtime.sinks import VideoFileSink
from stylelite.runtime.sources import open_source
from stylelite.runtime.video import read_video, write_video

DEFAULT_SIZES = ((854, 480), (1280, 720))


def _model_only_fps(engine, tensors: list[np.ndarray]) -> float:
    """One pass of `engine.infer` over the tensors, after one untimed call (the first call allocates); a
    frame-parallel engine (--workers N) runs N calls at once, as the pipeline does."""
    workers = getattr(engine, "workers", 1)
    return parallel_fps(lambda i: engine.infer(tensors[i]), len(tensors), workers)


def bench_pipeline(
    model: str | Path,
    clip: str | Path,
    sizes: tuple[tuple[int, int], ...] | list[tuple[int, int]] = DEFAULT_SIZES,
    max_frames: int = 40,
    threads: int = 0,
    engine_options: EngineOptions | None = None,
    repeats: int = 5,
    out: str | Path | None = None,
    progress: bool = True,
    ceiling: bool = True,
) -> list[PipelineRecord]:
    """Measure `model` on `clip` resized to each of `sizes`; append records to `out` (JSON lines).

    Args:
        model: an artifact file.
        clip: a video file, resized to each size and written as a real MP4.
        sizes: (width, height) of each measurement.
        max_frames: use at most this many frames of the clip.
        threads: inference threads (0: the engine's default).
        engine_options: EngineOptions for the model.
        repeats: offline passes, alternating with model-only passes (the median round is reported).
        out: a JSONL file to append the records to.
        progress: print a line per size.
        ceiling: also time the dense-conv reference of the model's format and precision at each size.
    """
    engine = load_engine(model, threads=threads, options=engine_options, spin=False)  # as `stylelite run` loads it
    frames, fps = read_video(clip, max_frames)
    records = []
    with tempfile.TemporaryDirectory(prefix="stylelite-pipeline-") as tmp:
        for w, h in sizes:
            if progress:
                print(f"pipeline bench: {Path(model).name} at {w}x{h} ({len(frames)} frames)...", flush=True)
            sized = [cv2.resize(f, (w, h), interpolation=cv2.INTER_AREA) for f in frames]
            rec = _measure_size(engine, Path(model).name, sized, fps, Path(tmp), repeats)
            if ceiling:
                rec = _with_ceiling(rec, engine, Path(model), sized[0], threads, engine_options)
            records.append(rec)
            if out is not None:
                append_jsonl(out, rec.to_dict())
    return records


def _measure_size(engine, name: str, sized: list[np.ndarray], fps: float, tmp: Path, repeats: int) -> PipelineRecord:
    """Model-only, offline and live passes over the clip at one size."""
    h, w = sized[0].shape[:2]
    src = write_video(tmp / f"clip_{w}x{h}.mp4", sized, fps)
    tensors = [engine.preprocess(f)[0] for f in sized]  # the engine's own input (uint8 frames for --onnx-io uint8)
    # alternate model-only and offline passes; each offline pass is compared with the model-only
    # passes on either side of it, and the median round is reported (shared machines drift)
    model_runs = [_model_only_fps(engine, tensors)]
    rounds, normal = [], []
    for _ in range(max(1, repeats)):
        for priority in ("auto", "normal"):
            stats = _run(src, engine, "offline", tmp / "offline.mp4", fps, stage_priority=priority)
            model_runs.append(_model_only_fps(engine, tensors))
            ref = (model_runs[-2] + model_runs[-1]) / 2
            (rounds if priority == "auto" else normal).append((stats.fps / ref, ref, stats))
    rounds.sort(key=lambda r: r[0])
    ratio, model_fps, offline = rounds[len(rounds) // 2]
    live = _run(src, engine, "live", tmp / "live.mp4", fps, realtime=True)
    return PipelineRecord(
        workers=getattr(engine, "workers", 1),
        kind="pipeline",
        model=name,
        engine=engine.describe(),
        size=f"{w}x{h}",
        frames=len(sized),
        clip_fps=round(fps, 2),
        model_fps=round(model_fps, 2),
        offline_fps=round(offline.fps, 2),
        offline_ratio=round(ratio, 3),
        offline_ratio_range=[round(rounds[0][0], 3), round(rounds[-1][0], 3)],
        offline_ratio_normal=round(sorted(r[0] for r in normal)[len(normal) // 2], 3),
        stage_priority=offline.stage_priority,
        live_fps=round(live.fps, 2),
        live_dropped=live.dropped,
        live_latency_ms_p50=round(live.latency_percentile(50), 1),
        live_latency_ms_p95=round(live.latency_percentile(95), 1),
        stage_ms={k: round(offline.mean_ms(k), 2) for k in offline.stage_ms},
        stage_cpu_ms={k: round(offline.mean_ms(k, cpu=True), 2) for k in offline.stage_cpu_ms},
    )


def _with_ceiling(rec: PipelineRecord, engine, model: Path, frame: np.ndarray, threads: int, options):
    """`rec` with the model's GMAC/s and the dense-conv ceiling of its format and precision at this size."""
    import dataclasses

    from stylelite.benchmark.ceiling import measure_ceiling

    gmacs_256 = engine.meta.gmacs_256
    ceil = measure_ceiling(model.suffix, engine.meta.precision, frame, threads, options)
    if not gmacs_256 or ceil is None or ceil.gmacs_per_s <= 0:
        return rec
    h, w = frame.shape[:2]
    per_frame = gmacs_256 * w * h / 65536.0
    return dataclasses.replace(
        rec,
        gmacs_per_frame=round(per_frame, 6),
        model_gmacs_per_s=round(per_frame * rec.model_fps, 1),
        ceiling_gmacs_per_s=round(ceil.gmacs_per_s, 1),
        ceiling_fps=round(ceil.gmacs_per_s / per_frame, 1),
    )


def _run(
    src: Path, engine, mode: str, dst: Path, fps: float, realtime: bool = False, stage_priority: str = "auto"
) -> PipelineStats:
    """One pass as `stylelite run` makes it: the encoder is the pipeline's write stage."""
    stats = PipelineStats(mode)
    sink = VideoFileSink(dst, fps)

    def write(o) -> None:
        sink.write(o.styled, o.index)

    try:
        src_frames = open_source(src, realtime=realtime)
        for _ in stream_frames(src_frames, engine, mode, stats=stats, write=write, stage_priority=stage_priority):
            pass
    finally:
        sink.close(keep=True)
    return stats


def format_pipeline_table(records: list[PipelineRecord]) -> str:
    """model | size | model fps | offline fps | ratio (range) | normal-prio | live fps | dropped | latency | stages."""
    head = ["model", "size", "model fps", "offline fps", "ratio", "(range)", "normal-prio", "live fps", "dropped",
            "latency p50/p95 ms", "infer ms", "CPU ms/frame (decode/pre/post/encode)", "GMAC/s", "ceiling",
            "fps at ceiling"]  # fmt: skip
    rows = [
        [
            r.model if r.workers == 1 else f"{r.model} x{r.workers}",
            r.size,
            f"{r.model_fps:.1f}",
            f"{r.offline_fps:.1f}",
            f"{r.offline_ratio:.2f}",
            f"({r.offline_ratio_range[0]:.2f}-{r.offline_ratio_range[1]:.2f})",
            f"{r.offline_ratio_normal:.2f}",
            f"{r.live_fps:.1f}",
            str(r.live_dropped),
            f"{r.live_latency_ms_p50:.0f} / {r.live_latency_ms_p95:.0f}",
            f"{r.stage_ms['infer']:.1f}",
            "/".join(f"{r.stage_cpu_ms[k]:.1f}" for k in ("decode", "pre", "post", "write")),
            _num(r.model_gmacs_per_s),
            _num(r.ceiling_gmacs_per_s),
            _num(r.ceiling_fps),
        ]
        for r in records
    ]
    lines = [text_table(head, rows, align="<>>>>>>>>>><>>>")]
    if any(r.workers > 1 for r in records):
        lines.append("xN: N copies of the model run frames side by side (--workers N), each with threads / N threads")
    if records:
        lines.append(
            f"ratio: offline fps / model-only fps, stages in {records[0].stage_priority} priority; normal-prio: the "
            f"same with them at normal priority; clip played at {records[0].clip_fps:g} fps in live mode"
        )
    if any(r.ceiling_fps for r in records):
        lines.append(
            "ceiling: GMAC/s of the dense-conv reference of the same format and precision, timed at the same size in "
            "this run; fps at ceiling: the model's MACs at that rate (a goal above it needs fewer MACs)"
        )
    return "\n".join(lines)


def _num(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}"
