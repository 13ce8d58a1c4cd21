"""Issue 28, surface 1 through `distill`: the trust flag, options that do not apply to a graph teacher,
a teacher replaced under a run, and graphs correct only at batch 1, each one line with nothing left behind."""

import json

import pytest

from stylelite.distill.distiller import DistillConfig, distill
from stylelite.runtime.errors import ConfigError, StyleliteError
from tests.conftest import run_cli
from tests.models import graph_fixtures as fx

TINY = dict(student="shufflegen_t_038", w_feature=0.0, steps=2, batch=2, crop=32, cache_size=4, temporal_batch=1)
CLI = ["--student", "shufflegen_t_038", "--w-feature", "0", "--steps", "2", "--batch", "2", "--crop", "32"]
CLI += ["--cache-size", "4", "--temporal-batch", "1", "--threads", "1"]


def _one_line_refusal(r, tmp_path, *words):
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 1 and len(lines) == 1 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert all(w in lines[0] for w in words), lines[0]
    assert not (tmp_path / "runs").exists()


def test_a_program_teacher_needs_the_trust_flag(tmp_path):
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("ORIGINAL-CONTENT")
    evil = fx.evil_torchscript(tmp_path / "ts_evil2.pt", sentinel)
    with pytest.raises(ConfigError, match="ts_evil2.pt is a TorchScript program: .*pass --trust-graph-code"):
        DistillConfig(teacher=str(evil), **TINY)
    DistillConfig(teacher=str(evil), trust_graph_code=True, **TINY)  # the user's explicit choice
    r = run_cli("distill", "--teacher", str(evil), *CLI, "-o", str(tmp_path / "runs"))
    _one_line_refusal(r, tmp_path, "TorchScript program", "--trust-graph-code")
    assert sentinel.read_text() == "ORIGINAL-CONTENT"  # s1_ts_evil2: nothing ran


def test_an_evil_pt2_runs_nothing_through_the_cli(tmp_path):
    """s1_pt2_evil, as the probe ran it: without the flag and with it."""
    marker = tmp_path / "PWNED_pt2"
    evil = fx.evil_pt2(fx.good_pt2(tmp_path / "good.pt2"), tmp_path / "evil.pt2", marker)
    r = run_cli("distill", "--teacher", str(evil), *CLI, "-o", str(tmp_path / "runs"))
    _one_line_refusal(r, tmp_path, "evil.pt2 is a torch.export program", "--trust-graph-code")
    r = run_cli("distill", "--teacher", str(evil), "--trust-graph-code", *CLI, "-o", str(tmp_path / "runs"))
    _one_line_refusal(r, tmp_path, "evil.pt2 holds a pickle", "does not unpickle")
    assert not marker.exists()


def test_options_that_do_not_apply_to_a_graph_teacher_are_errors(tmp_path):
    """s2_km_on_graph, s1_graph_random; and the trust flag on a graph that runs no code of its own."""
    good = str(fx.tanh_onnx(tmp_path / "good.onnx"))
    with pytest.raises(ConfigError, match="--key-map renames a checkpoint's keys; good.onnx is an exported graph"):
        DistillConfig(teacher=good, key_map=("a=b",), **TINY)
    with pytest.raises(ConfigError, match="--random-teacher: good.onnx is an exported graph"):
        DistillConfig(teacher=good, random_teacher=True, **TINY)
    with pytest.raises(
        ConfigError, match="--trust-graph-code is for a TorchScript or .pt2 teacher; good.onnx is an ONNX"
    ):
        DistillConfig(teacher=good, trust_graph_code=True, **TINY)
    with pytest.raises(ConfigError, match="--trust-graph-code is for"):
        DistillConfig(teacher="cyclegan_r9_bn.cartoon", trust_graph_code=True, **{**TINY, "w_feature": 0.1})


def test_a_resume_refuses_a_teacher_file_that_changed(tmp_path):
    """s1_resume_swapped2: the graph replaced by another valid one between the run and its resume."""
    teacher = fx.tanh_onnx(tmp_path / "swap.onnx")
    run = distill(teacher=str(teacher), out=tmp_path / "runs", progress=False, save_every=1, **TINY)
    assert set(json.loads((run / "inputs.json").read_text())) == {"teacher"}
    fx.tanh_onnx(teacher, negate=True)
    state = (run / "state.safetensors").read_bytes()
    with pytest.raises(ConfigError, match=r"teacher .*swap.onnx changed since .* started \(sha256 "):
        distill(resume=run, steps=4, progress=False)
    assert (run / "state.safetensors").read_bytes() == state
    fx.tanh_onnx(teacher)  # the same bytes again: the resume goes on
    assert distill(resume=run, steps=3, progress=False) == run
    teacher.unlink()
    with pytest.raises(ConfigError, match="that is gone: put it back"):
        distill(resume=run, steps=4, progress=False)


def test_a_batch_one_graph_fails_before_a_run_folder_and_trains_with_batch_1(tmp_path):
    """s1_batchone: the teacher's output batch is checked against its input before anything is labelled."""
    path = str(fx.batch_one_onnx(tmp_path / "batchone.onnx"))
    with pytest.raises(ConfigError, match=r"batchone.onnx returned \[1, 3, 64, 32\] for a batch of 2 .*batch=1"):
        distill(teacher=path, out=tmp_path / "runs", progress=False, **TINY)
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())
    run = distill(teacher=path, teacher_card=("batch=1",), out=tmp_path / "ok", progress=False, **TINY)
    assert (run / "student.safetensors").is_file()


def test_export_of_a_program_gives_advice_that_works(tmp_path):
    """s2_exp_pt2: `export x.pt2` no longer suggests stamping a .pt2, which --card refuses."""
    from stylelite.export.api import export_model

    pt2 = fx.good_pt2(tmp_path / "good.pt2")
    with pytest.raises(StyleliteError, match="stamps ONNX and TFLite files only: export it to ONNX where it was made"):
        export_model(str(pt2), output=tmp_path / "e2.onnx")
    assert not (tmp_path / "e2.onnx").exists()
