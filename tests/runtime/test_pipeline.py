"""stylelite.runtime.pipeline: overlapping stages, offline order, live drops, resize, style strength."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ConfigError
from stylelite.runtime.pipeline import PipelineStats, parse_size, stream_frames
from stylelite.runtime.sources import open_source
from stylelite.runtime.style_control import StyleState


class SlowEngine:
    """The real ONNX engine plus a fixed delay per call: a model slower than the camera, deterministically."""

    def __init__(self, engine, delay_s: float) -> None:
        self._engine, self.delay_s = engine, delay_s

    def __getattr__(self, name):  # meta, styles, preprocess, postprocess: the real engine's
        return getattr(self._engine, name)

    def infer(self, batch, control=None):
        time.sleep(self.delay_s)
        return self._engine.infer(batch, control)


def test_offline_keeps_every_frame_in_order_and_matches_per_frame_calls(student_onnx, clip_path):
    engine = load_engine(student_onnx)
    stats = PipelineStats("offline")
    out = list(stream_frames(open_source(clip_path), engine, "offline", stats=stats))
    assert [o.index for o in out] == list(range(8))
    for o in out:
        assert np.array_equal(o.styled, engine.stylize(o.rgb))  # same numbers as the one-call path
    assert stats.frames_in == stats.frames_out == 8 and stats.dropped == 0
    assert all(len(stats.stage_ms[k]) == 8 for k in ("decode", "pre", "infer", "post"))
    assert stats.summary()["latency_ms_p95"] >= stats.summary()["latency_ms_p50"] > 0


def test_live_mode_drops_stale_frames_and_counts_them(student_onnx, tmp_path):
    from stylelite.runtime.video import write_video
    from tests.conftest import make_photo

    clip = write_video(tmp_path / "fast.mp4", [make_photo(72, 96, seed=i) for i in range(30)], fps=100.0)
    engine = SlowEngine(load_engine(student_onnx), delay_s=0.05)  # 20 fps model, 100 fps camera
    stats = PipelineStats("live")
    out = list(stream_frames(open_source(clip, realtime=True), engine, "live", stats=stats))
    indices = [o.index for o in out]
    assert indices == sorted(indices) and len(set(indices)) == len(indices)  # in order, none twice
    assert stats.dropped > 0 and len(out) < 30
    assert stats.frames_in == 30 and len(out) + stats.dropped == 30
    # bounded latency: a frame waits for at most the one in the model, never for a backlog
    assert stats.latency_percentile(95) < 1000 * (3 * engine.delay_s + 0.5)


def test_offline_waits_for_a_slow_model_instead_of_dropping(student_onnx, clip_path):
    engine = SlowEngine(load_engine(student_onnx), delay_s=0.02)
    stats = PipelineStats("offline")
    assert len(list(stream_frames(open_source(clip_path, realtime=True), engine, "offline", stats=stats))) == 8
    assert stats.dropped == 0


def test_process_size_runs_small_and_returns_full_size(student_onnx, clip_path):
    engine = load_engine(student_onnx)
    stats = PipelineStats("offline")
    out = list(stream_frames(open_source(clip_path), engine, process_size=(48, 36), stats=stats))
    assert out[0].styled.shape == out[0].rgb.shape == (72, 96, 3)
    assert stats.summary()["process_size"] == [48, 36]


def test_strength_is_read_per_frame_and_can_change_while_running(student_onnx, clip_path):
    engine = load_engine(student_onnx)
    state = StyleState(engine.styles)
    seen = []
    for o in stream_frames(open_source(clip_path), engine, "offline", style_state=state, queue_size=1):
        seen.append(o)
        if o.index == 0:
            state.update(strength=0.0)  # frames prepared from here on render the input unchanged
    assert not np.array_equal(seen[0].styled, seen[0].rgb)
    assert np.array_equal(seen[-1].styled, seen[-1].rgb)


def test_stage_errors_reach_the_caller(student_onnx, clip_path):
    class Broken(SlowEngine):
        def infer(self, batch, control=None):
            raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError, match="model crashed"):
        list(stream_frames(open_source(clip_path), Broken(load_engine(student_onnx), 0), "offline"))
    assert not [t for t in threading.enumerate() if t.name.startswith("stylelite-")]


def test_stopping_early_stops_the_stages(student_onnx, clip_path):
    for o in stream_frames(open_source(clip_path, loop=True), load_engine(student_onnx), "offline"):
        if o.index == 20:  # a looping clip never ends by itself
            break
    time.sleep(0.3)
    assert not [t for t in threading.enumerate() if t.name.startswith("stylelite-")]


def test_parse_size():
    assert parse_size("640x360") == (640, 360) and parse_size(None) is None
    with pytest.raises(ConfigError, match="WIDTHxHEIGHT"):
        parse_size("640")


def test_bench_pipeline_as_typed(student_onnx, clip_path, tmp_path):
    import json

    from tests.conftest import run_cli

    out = tmp_path / "pipeline.jsonl"
    proc = run_cli(
        "bench", str(student_onnx), "--clip", str(clip_path), "--pipeline", "--size", "96x72", "--out", str(out)
    )
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert "offline fps" in proc.stdout and "96x72" in proc.stdout
    (rec,) = [json.loads(line) for line in out.read_text().splitlines()]
    assert rec["kind"] == "pipeline" and rec["frames"] == 8 and rec["clip_fps"] == 10.0
    assert rec["model_fps"] > 0 and rec["offline_fps"] > 0 and rec["live_fps"] > 0
    assert rec["offline_ratio"] == pytest.approx(rec["offline_fps"] / rec["model_fps"], rel=0.01)
    assert rec["live_latency_ms_p95"] >= rec["live_latency_ms_p50"] > 0
    assert set(rec["stage_ms"]) == {"decode", "pre", "infer", "post", "write"}
    assert set(rec["stage_cpu_ms"]) == {"decode", "pre", "post", "write"}
    assert rec["offline_ratio_normal"] > 0 and rec["stage_priority"] == "background"
    # the dense-conv ceiling of the same format and precision, at the same size, in the same run
    assert rec["ceiling_gmacs_per_s"] > 0 and rec["model_gmacs_per_s"] > 0 and "fps at ceiling" in proc.stdout
    assert rec["ceiling_fps"] == pytest.approx(rec["ceiling_gmacs_per_s"] / rec["gmacs_per_frame"], rel=0.01)
