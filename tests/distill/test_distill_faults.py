"""Distillation faults a user can cause: bad option values, a diverging loss, an interrupted and resumed
run, changed options on resume, inputs that fail early and a teacher without weights. Each ends in one
line (exit 1) or in the same result an uninterrupted run gives, and leaves no stray run folder."""

from __future__ import annotations

import json
import math

import pytest
import torch
from safetensors.torch import load_file

from stylelite.cli.main import main
from stylelite.distill import criteria, distiller
from stylelite.distill.distiller import DistillConfig, distill
from stylelite.distill.run_dir import ScalarLog
from stylelite.distill.trainers.config import FamilyTrainConfig, TeacherTrainConfig
from stylelite.runtime.errors import ConfigError, StyleliteError
from stylelite.runtime.video import write_image
from tests.conftest import make_photo

TEACHER, STUDENT = "cyclegan_r6", "mobilegen_s_025"
TINY = dict(steps=4, batch=2, crop=32, cache_size=4, save_every=2, temporal_batch=2, random_teacher=True)
TINY_ARGS = [
    "--teacher", TEACHER, "--random-teacher", "--student", STUDENT, "--steps", "4", "--batch", "2",
    "--crop", "32", "--cache-size", "4", "--save-every", "2",
]  # fmt: skip


@pytest.fixture()
def photos(tmp_path):
    folder = tmp_path / "photos"
    for i in range(2):
        write_image(folder / f"{i}.png", make_photo(64, 80, seed=i))
    return str(folder)


def _cli(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err, err
    if code:  # a user error is one line after any progress bars
        last = err.splitlines()[-1]
        assert last.startswith(f"stylelite {argv[0]}: error: ") and err.count("error:") == 1, err
        return code, last
    return code, err


def _strict_rows(path) -> list[dict]:
    """Every line of a log.jsonl parsed by a strict JSON reader (no NaN/Infinity literals)."""

    def refuse(token):
        raise ValueError(f"not JSON: {token}")

    return [json.loads(line, parse_constant=refuse) for line in path.read_text().splitlines()]


# item 7: every numeric option is validated, with the fix in the message


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("lr", float("nan"), r"lr=nan: .*e\.g\. 2e-3"),
        ("lr", float("inf"), r"lr=inf"),
        ("lr", -1.0, r"lr=-1.0: .*> 0"),
        ("lr", 0.0, r"lr=0.0"),
        ("steps", 0, r"steps=0: .*>= 1"),
        ("batch", 0, r"batch=0"),
        ("cache_size", 1, r"cache_size=1: use at least the batch \(8\)"),
        ("w_pixel", float("nan"), r"w_pixel=nan"),
        ("w_feature", -0.1, r"w_feature=-0.1"),
        ("w_temporal", float("inf"), r"w_temporal=inf"),
        ("temporal_batch", 0, r"temporal_batch=0"),
        ("save_every", 0, r"save_every=0"),
        ("threads", -1, r"threads=-1"),
        ("seed", -1, r"seed=-1"),
        ("prev_noise", float("nan"), r"prev_noise=nan"),
        ("qat_calib_batches", 0, r"qat_calib_batches=0"),
    ],
)
def test_distill_config_refuses_bad_numbers(field, value, match):
    with pytest.raises(ConfigError, match=match) as e:
        DistillConfig(**{field: value})
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("value", ["nan", "-1", "inf"])
def test_distill_cli_bad_lr_is_one_line_and_makes_no_folder(tmp_path, capsys, value):
    code, err = _cli(capsys, "distill", *TINY_ARGS, "--lr", value, "-o", str(tmp_path / "runs"))
    assert code == 1 and "lr=" in err and "--lr" in err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    "kw, match",
    [
        (dict(lr=float("nan")), r"lr=nan"),
        (dict(lr=float("inf")), r"lr=inf"),
        (dict(lambda_cycle=float("nan")), r"lambda_cycle"),
        (dict(beta2=float("nan")), r"beta"),
        (dict(decay_from=float("nan")), r"decay_from"),
        (dict(lr_gamma=float("nan")), r"lr_gamma"),
        (dict(threads=-1), r"threads=-1"),
        (dict(seed=-1), r"seed=-1"),
    ],
)
def test_teacher_configs_refuse_bad_numbers(kw, match):
    with pytest.raises(ConfigError, match=match):
        FamilyTrainConfig(family="cyclegan", data_a=("builtin",), data_b=("builtin",), **kw)


def test_builtin_teacher_config_and_cli_refuse_a_nan_lr(tmp_path, capsys):
    with pytest.raises(ConfigError, match="lr=nan"):
        TeacherTrainConfig(lr=float("nan"))
    code, err = _cli(capsys, "train-teacher", "--lr", "nan", "-o", str(tmp_path / "runs"))
    assert code == 1 and "lr=nan" in err
    assert not (tmp_path / "runs").exists()


# item 1: a diverging loss stops the run with one line; the log is valid JSON


def test_non_finite_loss_stops_naming_the_step_and_keeps_the_last_good_state(tmp_path, photos, monkeypatch):
    calls = {"n": 0}
    real = criteria.pixel_loss

    def diverging(*a):
        calls["n"] += 1
        loss = real(*a)
        return loss * float("nan") if calls["n"] == 3 else loss  # step 3 diverges

    monkeypatch.setattr(criteria, "pixel_loss", diverging)
    with pytest.raises(StyleliteError, match=r"non-finite loss \(nan\) at step 3.*step 2") as e:
        distill(TEACHER, STUDENT, out=tmp_path / "runs", progress=False, data=(photos,), w_temporal=0.0, **TINY)
    assert "\n" not in str(e.value)
    (run,) = (tmp_path / "runs").iterdir()
    state = load_file(str(run / "state.safetensors"))
    assert all(bool(torch.isfinite(v).all()) for v in state.values() if v.is_floating_point())
    assert not (run / "student.safetensors").exists()
    rows = _strict_rows(run / "log.jsonl")
    assert all(math.isfinite(v) for r in rows for k, v in r.items() if isinstance(v, float))


def test_scalar_log_writes_non_finite_values_as_null(tmp_path):
    log = ScalarLog(tmp_path)
    log.log(1, loss=float("nan"), pixel=float("inf"), feature=0.5)
    log.close()
    assert _strict_rows(tmp_path / "log.jsonl") == [{"step": 1, "loss": None, "pixel": None, "feature": 0.5}]


# items 14 and 15: resume reproduces the uninterrupted run; changed options are refused, steps extend


def _interrupt_at_step(monkeypatch, step: int):
    calls = {"n": 0}
    real = distiller.DistillTrainer.train_step

    def flaky(self):
        calls["n"] += 1
        if calls["n"] == step:
            raise KeyboardInterrupt  # the user pressed Ctrl-C (or the run was killed) during this step
        return real(self)

    monkeypatch.setattr(distiller.DistillTrainer, "train_step", flaky)
    return real


def test_resumed_run_matches_the_uninterrupted_run(tmp_path, photos, monkeypatch):
    import dataclasses

    real_settings = distiller.loop_settings
    monkeypatch.setattr(distiller, "loop_settings", lambda c: dataclasses.replace(real_settings(c), log_every=1))
    kw = dict(progress=False, data=(photos,), w_single_frame=1.0, **TINY)
    straight = distill(TEACHER, STUDENT, out=tmp_path / "a", **kw)
    real = _interrupt_at_step(monkeypatch, 4)  # steps 1-3 logged, the state saved at step 2
    with pytest.raises(KeyboardInterrupt):
        distill(TEACHER, STUDENT, out=tmp_path / "b", **kw)
    (run,) = (tmp_path / "b").iterdir()
    monkeypatch.setattr(distiller.DistillTrainer, "train_step", real)
    distill(resume=run, progress=False)
    a, b = load_file(str(straight / "student.safetensors")), load_file(str(run / "student.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=1e-5, atol=1e-6, msg=k)
    rows, ref = _strict_rows(run / "log.jsonl"), _strict_rows(straight / "log.jsonl")
    assert [r["step"] for r in rows] == [r["step"] for r in ref] == [1, 2, 3, 4]  # no step twice
    assert [r.get("resumed_from") for r in rows] == [None, None, 2, None]  # the resume is marked
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run / "tb"))
    events.Reload()
    assert [e.step for e in events.Scalars("loss")] == [1, 2, 3, 4]  # the re-run step 3 shows once


def test_save_every_is_an_option(tmp_path, photos, capsys):
    code, _ = _cli(capsys, "distill", *TINY_ARGS, "--data", photos, "--w-temporal", "0", "-o", str(tmp_path / "r"))
    assert code == 0
    (run,) = (tmp_path / "r").iterdir()
    assert json.loads((run / "config.json").read_text())["save_every"] == 2


def test_resume_refuses_changed_options_and_extends_steps(tmp_path, photos, capsys, monkeypatch):
    real = _interrupt_at_step(monkeypatch, 3)
    with pytest.raises(KeyboardInterrupt):
        distill(TEACHER, STUDENT, out=tmp_path / "r", progress=False, data=(photos,), w_temporal=0.0, **TINY)
    (run,) = (tmp_path / "r").iterdir()
    monkeypatch.setattr(distiller.DistillTrainer, "train_step", real)
    code, err = _cli(capsys, "distill", "--resume", str(run), "--steps", "500", "--lr", "5")
    assert code == 1 and err.startswith("stylelite distill: error: --lr 5.0: ")
    code, err = _cli(capsys, "distill", "--resume", str(run), "--student", "mobilegen_s_050")
    assert code == 1 and "--student" in err
    code, err = _cli(capsys, "distill", "--resume", str(run), "--steps", "3")
    assert code == 1 and "--steps 3" in err and "extend" in err
    code, err = _cli(capsys, "distill", "--resume", str(run), "--steps", "6", "--lr", "2e-3")  # lr unchanged
    assert code == 0, err
    assert json.loads((run / "config.json").read_text())["steps"] == 6
    assert [r["step"] for r in _strict_rows(run / "log.jsonl")][-1] == 6


# item 16: inputs are checked before any run folder exists or any model loads


def test_bad_data_fails_before_the_teacher_loads_and_leaves_no_folder(tmp_path, capsys, monkeypatch):
    import stylelite.models.load as load

    def never(*a, **k):
        raise AssertionError("a model was loaded before --data was checked")

    monkeypatch.setattr(load, "load_model", never)
    code, err = _cli(capsys, "distill", *TINY_ARGS, "--data", str(tmp_path / "missing"), "-o", str(tmp_path / "r"))
    assert code == 1 and "missing" in err and "--data" in err
    (tmp_path / "notes.txt").write_text("not a video")
    code, err = _cli(capsys, "distill", *TINY_ARGS, "--data", str(tmp_path / "notes.txt"), "-o", str(tmp_path / "r"))
    assert code == 1 and "notes.txt" in err
    assert not (tmp_path / "r").exists()


def test_failures_before_the_first_step_leave_no_run_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code, err = _cli(capsys, "distill", *TINY_ARGS, "--data", str(tmp_path / "empty"), "-o", str(tmp_path / "r"))
    assert code == 1 and "empty" in err
    assert list((tmp_path / "r").glob("*")) == [] if (tmp_path / "r").exists() else True
    wrong = tmp_path / "teacher.safetensors"
    from stylelite.distill.training_state import save_weights
    from stylelite.models.registry import create_teacher

    save_weights(wrong, create_teacher("cyclegan_r6"), metadata={"teacher": "cyclegan_r6"})
    code, err = _cli(capsys, "distill", *TINY_ARGS, "--init-from", str(wrong), "-o", str(tmp_path / "r"))
    assert code == 1
    assert list((tmp_path / "r").glob("*")) == [] if (tmp_path / "r").exists() else True


# item 17: a teacher without weights is refused unless asked for


def test_random_teacher_is_refused_unless_asked_for(tmp_path, capsys):
    args = ["distill", *[a for a in TINY_ARGS if a != "--random-teacher"], "-o", str(tmp_path / "r")]
    code, err = _cli(capsys, *args)
    assert code == 1 and "--teacher-checkpoint" in err and "--random-teacher" in err
    assert not (tmp_path / "r").exists()
    with pytest.raises(ConfigError, match="random"):
        DistillConfig(teacher=TEACHER)
    DistillConfig(teacher="cyclegan_r9_bn.cartoon")  # shipped weights
    DistillConfig(teacher=TEACHER, random_teacher=True)


# items 15 and 16 for train-teacher: the same resume rules; --data checked before anything starts


def test_train_teacher_bad_data_fails_at_once_and_leaves_no_folder(tmp_path, capsys, photos):
    args = ["train-teacher", "--family", "cyclegan", "--generator", "cyclegan_r6", "-o", str(tmp_path / "r")]
    code, err = _cli(capsys, *args, "--data-a", str(tmp_path / "missing"), "--data-b", photos)
    assert code == 1 and "missing" in err
    (tmp_path / "empty").mkdir()
    code, err = _cli(capsys, *args, "--data-a", photos, "--data-b", str(tmp_path / "empty"))
    assert code == 1 and "empty" in err
    assert not (tmp_path / "r").exists()


def test_train_teacher_resume_refuses_changed_options_and_extends_steps(tmp_path, capsys, photos):
    from stylelite.distill.trainers import train_teacher_family

    config = FamilyTrainConfig(
        family="cyclegan", generator="cyclegan_r6", data_a=(photos,), data_b=(photos,), crop=32, load_size=32,
        steps=2, batch=1, save_every=1, log_every=1, threads=1, device="cpu",
    )  # fmt: skip
    run = train_teacher_family(config, out=tmp_path / "r", progress=False)
    code, err = _cli(capsys, "train-teacher", "--resume", str(run), "--lr", "5")
    assert code == 1 and err.startswith("stylelite train-teacher: error: --lr 5.0: ")
    code, err = _cli(capsys, "train-teacher", "--resume", str(run), "--steps", "1")
    assert code == 1 and "--steps 1" in err
    code, err = _cli(capsys, "train-teacher", "--resume", str(run), "--steps", "3")
    assert code == 0, err
    assert json.loads((run / "config.json").read_text())["steps"] == 3
    assert [r["step"] for r in _strict_rows(run / "log.jsonl") if "loss_g" in r or "step" in r][-1] == 3


def test_non_finite_weights_after_an_update_are_never_saved(tmp_path, photos, monkeypatch):
    real = distiller.DistillTrainer.train_step

    def poisoned(self):
        out = real(self)
        if self.step == 2:  # the update of step 2 left a NaN in the student, its loss was still finite
            with torch.no_grad():
                next(self.student.parameters()).view(-1)[0] = float("nan")
        return out

    monkeypatch.setattr(distiller.DistillTrainer, "train_step", poisoned)
    with pytest.raises(ConfigError, match=r"non-finite weights \(student/.*\) after step 2.*no state was saved"):
        distill(TEACHER, STUDENT, out=tmp_path / "runs", progress=False, data=(photos,), w_temporal=0.0, **TINY)
    (run,) = (tmp_path / "runs").iterdir()
    assert not (run / "state.safetensors").exists() and not (run / "student.safetensors").exists()


def test_a_huge_lr_diverges_into_one_line(tmp_path, photos, capsys):
    code, err = _cli(
        capsys, "distill", *TINY_ARGS, "--data", photos, "--lr", "1e30", "--w-temporal", "0", "-o", str(tmp_path / "r")
    )
    assert code == 1 and "the training diverged" in err and "--lr" in err
    (run,) = (tmp_path / "r").iterdir()
    assert not (run / "student.safetensors").exists()
    _strict_rows(run / "log.jsonl") if (run / "log.jsonl").exists() else None  # strict JSON when present


def test_sigterm_while_the_teacher_labels_leaves_no_run_folder(tmp_path):
    """`timeout` or `docker stop` during the (long) labelling: exit 143 in one line, no half-made run folder."""
    import signal
    import subprocess
    import sys
    import time

    cmd = [sys.executable, "-m", "stylelite", "distill", "--teacher", "cyclegan_r9_bn.cartoon", "--student"]
    cmd += ["shufflegen_t_038", "--cache-size", "4000", "--crop", "64", "--threads", "1", "-o", str(tmp_path / "runs")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list((tmp_path / "runs").glob("*/launch.json")):
        time.sleep(0.2)  # the run folder exists: the teacher is labelling the cache
    time.sleep(1.0)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and err.strip().splitlines()[-1] == "stylelite distill: terminated"
    assert "Traceback" not in err and not list((tmp_path / "runs").iterdir())
