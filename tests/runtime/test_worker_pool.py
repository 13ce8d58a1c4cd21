"""Frame-parallel inference (`--workers N`): N model copies, frames out in order, the same pictures."""

from __future__ import annotations

import json
import random
import threading
import time

import numpy as np
import pytest

from stylelite.runtime.engines import EngineOptions, load_engine
from stylelite.runtime.engines.worker_pool import EnginePool, threads_per_worker, usable_cores
from stylelite.runtime.errors import ConfigError, InputError
from stylelite.runtime.pipeline import PipelineStats, stream_frames
from stylelite.runtime.sources import open_source
from tests.conftest import run_cli

# `--workers 2` through load_engine and the CLI refuses more copies than usable cores (one line, tested below)
two_cores = pytest.mark.skipif(usable_cores() < 2, reason="--workers 2 needs two usable cores; this machine has one")


class JitteryCopy:
    """A real ONNX engine whose calls take a random 0-40 ms longer: copies finish out of order. Counts how many
    copies are inside `infer` at once."""

    busy = 0
    most_busy = 0
    lock = threading.Lock()

    def __init__(self, engine, seed: int) -> None:
        self._engine, self._rng = engine, random.Random(seed)

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def infer(self, batch, control=None):
        cls = JitteryCopy
        with cls.lock:
            cls.busy += 1
            cls.most_busy = max(cls.most_busy, cls.busy)
        try:
            time.sleep(self._rng.uniform(0.0, 0.04))
            return self._engine.infer(batch, control)
        finally:
            with cls.lock:
                cls.busy -= 1


def _jittery_pool(student_onnx, workers: int) -> EnginePool:
    seeds = iter(range(workers))
    return EnginePool(lambda: JitteryCopy(load_engine(student_onnx, threads=1), next(seeds)), workers)


@two_cores
def test_workers_option_loads_a_pool_of_copies_with_the_threads_shared_out(student_onnx):
    pool = load_engine(student_onnx, threads=4, options=EngineOptions(workers=2))
    assert isinstance(pool, EnginePool) and pool.workers == 2 and len(pool.engines) == 2
    assert all(e.options["threads"] == 2 for e in pool.engines) and pool.options["workers"] == 2
    assert pool.engines[0] is not pool.engines[1] and pool.meta == pool.engines[0].meta
    assert pool.bytes_io is False  # engine attributes read through to the first copy
    assert threads_per_worker(2, 2) == 1 and threads_per_worker(3, 2) == 1 and threads_per_worker(1, 4) == 1
    one = load_engine(student_onnx, options=EngineOptions(workers=1))
    assert not isinstance(one, EnginePool)
    frame = np.random.default_rng(0).integers(0, 256, (72, 96, 3), dtype=np.uint8)
    assert np.array_equal(pool.stylize(frame), one.stylize(frame))
    assert pool.activation_bytes(72, 96) == 2 * one.activation_bytes(72, 96)  # each copy may hold a frame


@pytest.mark.parametrize("bad", [0, -1, True, 1.5])
def test_a_worker_count_that_is_not_a_positive_whole_number_is_refused(bad):
    with pytest.raises(ConfigError, match="workers=.*whole number of model copies"):
        EngineOptions(workers=bad)


def test_frames_leave_in_order_with_the_one_copy_pictures_when_copies_finish_out_of_order(student_onnx, clip_path):
    JitteryCopy.most_busy = 0
    pool = _jittery_pool(student_onnx, 3)
    one = load_engine(student_onnx)
    stats = PipelineStats("offline")
    out = list(stream_frames(open_source(clip_path), pool, "offline", stats=stats))
    assert [o.index for o in out] == list(range(8))
    for o in out:
        assert np.array_equal(o.styled, one.stylize(o.rgb))
    assert JitteryCopy.most_busy >= 2  # the copies really ran frames side by side
    assert stats.frames_in == stats.frames_out == 8 and len(stats.stage_ms["infer"]) == 8


def test_live_mode_with_copies_keeps_order_and_counts_drops(student_onnx, tmp_path):
    from stylelite.runtime.video import write_video
    from tests.conftest import make_photo

    clip = write_video(tmp_path / "fast.mp4", [make_photo(72, 96, seed=i) for i in range(30)], fps=100.0)
    stats = PipelineStats("live")
    out = list(stream_frames(open_source(clip, realtime=True), _jittery_pool(student_onnx, 2), "live", stats=stats))
    indices = [o.index for o in out]
    assert indices == sorted(indices) and len(set(indices)) == len(indices)
    assert stats.frames_in == 30 and len(out) + stats.dropped == 30


def test_an_error_in_one_copy_reaches_the_caller(student_onnx, clip_path):
    class Broken:
        def __init__(self, engine) -> None:
            self._engine = engine

        def __getattr__(self, name):
            return getattr(self._engine, name)

        def infer(self, batch, control=None):
            raise InputError("copy failed")

    copies = iter([load_engine(student_onnx), Broken(load_engine(student_onnx))])
    pool = EnginePool(lambda: next(copies), 2)
    with pytest.raises(InputError, match="copy failed"):
        list(stream_frames(open_source(clip_path), pool, "offline"))


def test_a_recurrent_model_is_refused_in_one_line(student_onnx):
    engine = load_engine(student_onnx)
    engine.recurrent = True  # as a `mobilegen_t_*` artifact's metadata makes it
    with pytest.raises(ConfigError, match=r"recurrent .* cannot run side by side: use --workers 1"):
        EnginePool(lambda: engine, 2)


@two_cores
def test_run_with_two_workers_writes_the_same_video(student_onnx, clip_path, tmp_path):
    from stylelite.runtime.video import read_video

    outs = {}
    for w in (1, 2):
        out = tmp_path / f"w{w}.mp4"
        proc = run_cli("run", str(student_onnx), "-i", str(clip_path), "-o", str(out), "--workers", str(w), "--json")
        assert proc.returncode == 0, proc.stderr[-1500:]
        assert json.loads(proc.stdout)["frames"] == 8
        outs[w], _ = read_video(out)
    assert len(outs[1]) == len(outs[2]) == 8
    assert all(np.array_equal(a, b) for a, b in zip(outs[1], outs[2]))


@two_cores
def test_bench_pipeline_measures_each_worker_count(student_onnx, clip_path, tmp_path):
    out = tmp_path / "pipeline.jsonl"
    proc = run_cli(
        "bench", str(student_onnx), "--clip", str(clip_path), "--pipeline", "--size", "96x72", "--workers", "1,2",
        "--threads", "2", "--out", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-1500:]
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["workers"] for r in recs] == [1, 2]
    assert all(r["model_fps"] > 0 and r["offline_fps"] > 0 and r["ceiling_gmacs_per_s"] > 0 for r in recs)
    assert "workers=2" in recs[1]["engine"] and f"{student_onnx.name} x2" in proc.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["--workers", "2"], "--workers applies to --pipeline"),
        (["--pipeline", "--workers", "0"], "give worker counts of 1 or more"),
        (["--pipeline", "--workers", "two"], "give worker counts of 1 or more"),
    ],
)
def test_bench_workers_misuse_is_one_line(student_onnx, clip_path, args, message):
    proc = run_cli("bench", str(student_onnx), "--clip", str(clip_path), *args)
    assert proc.returncode != 0 and message in proc.stderr and "Traceback" not in proc.stderr


def test_run_workers_zero_is_refused(student_onnx, clip_path, tmp_path):
    proc = run_cli("run", str(student_onnx), "-i", str(clip_path), "-o", str(tmp_path / "o.mp4"), "--workers", "0")
    assert proc.returncode == 2 and "--workers" in proc.stderr and "Traceback" not in proc.stderr


def test_parallel_fps_makes_each_call_once_with_the_threads_side_by_side():
    from stylelite.benchmark.timing import parallel_fps

    seen, busy, most = [], [0], [0]
    lock = threading.Lock()

    def call(i: int) -> None:
        with lock:
            seen.append(i)
            busy[0] += 1
            most[0] = max(most[0], busy[0])
        time.sleep(0.01)
        with lock:
            busy[0] -= 1

    fps = parallel_fps(call, calls=12, workers=3, warmup=1)
    assert fps > 0 and sorted(seen) == [0, 0, 0, *range(12)]  # one warm-up call per thread, then each index once
    assert most[0] == 3


def test_more_copies_than_cores_is_refused_in_one_line(student_onnx, clip_path, tmp_path):
    many = usable_cores() + 1
    with pytest.raises(ConfigError, match=rf"--workers {many}: this machine runs {usable_cores()} threads at once"):
        load_engine(student_onnx, options=EngineOptions(workers=many))
    proc = run_cli("run", str(student_onnx), "-i", str(clip_path), "-o", str(tmp_path / "o.mp4"), "--workers", "64")
    assert proc.returncode == 1 and "use at most" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o.mp4").exists()
