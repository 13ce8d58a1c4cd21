"""Distillation: run folder contents, resume after an interruption, data sources."""

import json

import pytest
import torch

from stylelite.distill import criteria
from stylelite.distill.distiller import DistillConfig, distill
from stylelite.runtime.errors import ConfigError, InputError, UnknownNameError
from stylelite.runtime.files import read_jsonl
from stylelite.runtime.synthetic import make_camera_clip
from stylelite.runtime.video import write_image, write_video
from tests.conftest import make_photo

TINY = dict(steps=4, batch=2, crop=32, cache_size=4, save_every=2, temporal_batch=2, random_teacher=True)


@pytest.fixture()
def data_dirs(tmp_path):
    folder = tmp_path / "photos"
    for i in range(2):
        write_image(folder / f"{i}.png", make_photo(80, 96, seed=i))
    video = write_video(tmp_path / "v.mp4", make_camera_clip(make_photo(), frames=5, size=(64, 48)), fps=10)
    return str(folder), str(video)


def test_distill_writes_a_complete_run(tmp_path, data_dirs):
    run = distill("cyclegan_r6", "mobilegen_s_025", out=tmp_path / "runs", progress=False, data=data_dirs, **TINY)
    for name in ("config.json", "versions.json", "log.jsonl", "state.safetensors", "student.safetensors"):
        assert (run / name).exists(), name
    assert any((run / "tb").iterdir())
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["student"] == "mobilegen_s_025" and cfg["steps"] == 4
    assert "torch" in json.loads((run / "versions.json").read_text())
    log = read_jsonl(run / "log.jsonl")
    assert log[-1]["step"] == 4 and log[-1]["temporal"] > 0
    from stylelite.models.load import load_model

    student = load_model(str(run / "student.safetensors")).identity
    assert student.name == "mobilegen_s_025" and student.teacher == "cyclegan_r6"


def test_resume_continues_an_interrupted_run(tmp_path, data_dirs, monkeypatch):
    calls = {"n": 0}
    real = criteria.pixel_loss

    def flaky(*a):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt  # the user pressed Ctrl-C during step 4
        return real(*a)

    monkeypatch.setattr(criteria, "pixel_loss", flaky)
    with pytest.raises(KeyboardInterrupt):
        distill("cyclegan_r6", "mobilegen_s_025", out=tmp_path / "runs", progress=False, data=data_dirs, **TINY)
    run = next((tmp_path / "runs").iterdir())
    assert not (run / "student.safetensors").exists()
    monkeypatch.setattr(criteria, "pixel_loss", real)
    distill(resume=run, progress=False)
    steps = [r["step"] for r in read_jsonl(run / "log.jsonl")]
    assert steps[-1] == 4 and (run / "student.safetensors").exists()


def test_config_errors_say_what_to_fix():
    with pytest.raises(ConfigError, match="multiple of 4"):
        DistillConfig(crop=30)
    with pytest.raises(UnknownNameError, match="did you mean"):
        DistillConfig(student="mobilegen_s_0500")


def test_bad_data_entry(tmp_path):
    with pytest.raises(InputError, match="not 'builtin', .*an image folder or a video"):
        distill("cyclegan_r6", "mobilegen_s_025", out=tmp_path, progress=False, data=(str(tmp_path / "x.txt"),), **TINY)


def test_student_learns_from_teacher(tmp_path, data_dirs):
    """A few dozen steps must bring the student closer to the teacher than it started."""
    run = distill(
        "cyclegan_r6",
        "mobilegen_s_025",
        out=tmp_path / "runs",
        progress=False,
        data=data_dirs[:1],
        steps=40,
        batch=4,
        crop=32,
        cache_size=8,
        w_temporal=0.0,
        lr=5e-3,
        random_teacher=True,
    )
    log = [r for r in read_jsonl(run / "log.jsonl") if "pixel" in r]
    assert log[-1]["pixel"] < log[0]["pixel"]
    assert torch.isfinite(torch.tensor(log[-1]["loss"]))
