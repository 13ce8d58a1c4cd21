"""stylelite.runtime.stage_priority: background non-model stages, and their return to normal when starved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ConfigError
from stylelite.runtime.pipeline import PipelineStats, stream_frames
from stylelite.runtime.sources import open_source
from stylelite.runtime.stage_priority import background_supported, resolve

pytestmark = pytest.mark.skipif(not background_supported(), reason="SCHED_IDLE is Linux only")


class PolicyRecorder:
    """The real engine; remembers the scheduling policy of the thread that runs the model."""

    def __init__(self, engine) -> None:
        self._engine, self.infer_policies = engine, set()

    def __getattr__(self, name):
        return getattr(self._engine, name)

    def infer(self, batch, control=None):
        self.infer_policies.add(os.sched_getscheduler(0))
        return self._engine.infer(batch, control)


def run_recording(source, engine, mode="offline", **kw):
    """Frames out, and the policy of the write stage's thread for each frame written."""
    written = []
    out = list(stream_frames(source, engine, mode, write=lambda o: written.append(os.sched_getscheduler(0)), **kw))
    return out, written


def test_offline_stages_run_in_background_and_the_model_at_normal_priority(student_onnx, clip_path):
    engine = PolicyRecorder(load_engine(student_onnx))
    stats = PipelineStats("offline")
    out, written = run_recording(open_source(clip_path), engine, stats=stats)
    assert [o.index for o in out] == list(range(8))
    assert set(written) == {os.SCHED_IDLE} and engine.infer_policies == {os.SCHED_OTHER}
    assert stats.stage_priority == "background" and stats.summary()["stage_priority"] == "background"
    assert set(stats.stage_cpu_ms) == {"decode", "pre", "post", "write"}
    assert all(len(v) == 8 for v in stats.stage_cpu_ms.values())
    # same pixels as the normal-priority run
    normal, written_normal = run_recording(open_source(clip_path), engine, stage_priority="normal")
    assert set(written_normal) == {os.SCHED_OTHER}
    assert len(normal) == len(out) == 8
    assert all(np.array_equal(a.styled, b.styled) for a, b in zip(out, normal))
    # live mode keeps a camera's capture thread at normal priority unless asked
    _, written_live = run_recording(open_source(clip_path), engine, "live")
    assert set(written_live) == {os.SCHED_OTHER}
    assert os.sched_getscheduler(0) == os.SCHED_OTHER  # the caller's own thread is never touched


def test_stage_priority_names_are_checked():
    assert resolve("auto", "offline") == "background" and resolve("auto", "live") == "normal"
    with pytest.raises(ConfigError, match="auto, background, normal"):
        resolve("high", "offline")


def test_starved_background_stages_move_to_normal_priority(student_onnx, tmp_path):
    """A busy program on the only core the run may use: background stages would get ~0.3% of it.

    The guard sees the model waiting for frames while the decode thread waits for the core, and
    normal-priority threads take the stages over; every frame still comes out, in order.
    """
    from stylelite.runtime.video import write_video
    from tests.conftest import make_photo

    before = set(threading.enumerate())  # threads other tests left are not this run's

    clip = write_video(tmp_path / "c.mp4", [make_photo(72, 96, seed=i % 5) for i in range(40)], fps=25.0)
    engine = PolicyRecorder(load_engine(student_onnx, threads=1))  # onnxruntime runs in the calling thread
    core = min(os.sched_getaffinity(0))
    old_affinity = os.sched_getaffinity(0)
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        os.sched_setaffinity(hog.pid, {core})
        os.sched_setaffinity(0, {core})  # this thread; the stage threads it starts inherit it
        stats = PipelineStats("offline")
        out, written = run_recording(open_source(clip), engine, stats=stats)
    finally:
        os.sched_setaffinity(0, old_affinity)
        hog.kill()
        hog.wait()
    assert [o.index for o in out] == list(range(40))
    assert stats.stage_priority.startswith("background, normal from frame"), stats.stage_priority
    assert stats.promoted_at_frame is not None and 0 <= stats.promoted_at_frame < 40
    assert written[0] == os.SCHED_IDLE and written[-1] == os.SCHED_OTHER
    assert not [t for t in set(threading.enumerate()) - before if t.name.startswith("stylelite-")]


def test_run_stage_priority_as_typed(student_onnx, clip_path, tmp_path):
    from tests.conftest import run_cli

    for priority in ("auto", "normal"):
        proc = run_cli(
            "run", str(student_onnx), "-i", str(clip_path), "-o", str(tmp_path / f"{priority}.mp4"),
            "--stage-priority", priority, "--json", "--no-progress",
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-1500:]
        res = json.loads(proc.stdout)
        assert res["frames"] == 8
        assert res["stats"]["stage_priority"] == ("background" if priority == "auto" else "normal")
