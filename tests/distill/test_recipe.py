"""The default recipe: with no --student, distill measures the teacher and chooses for it."""

import json

import pytest
import torch
from torch import nn

from stylelite.distill.recipe import CONSISTENT, PER_IMAGE, TeacherProbe, choose, probe_teacher
from stylelite.models.graph_teacher import GraphCard, GraphTeacher
from tests.conftest import run_cli


class _PerImage(nn.Module):
    """A tiny style network that normalises per image, as Magenta's and CycleGANs do."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.a = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.InstanceNorm2d(8, affine=True)
        self.b = nn.Conv2d(8, 3, 3, padding=1)

    def forward(self, x):
        return torch.tanh(self.b(torch.relu(self.norm(self.a(x)))) * 3)


class _Local(nn.Module):
    """Convolutions only: a crop looks as the same region of the frame does (away from its border)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.a = nn.Conv2d(3, 3, 3, padding=1)

    def forward(self, x):
        return torch.tanh(self.a(x))


def _export(module: nn.Module, path) -> str:
    axes = {0: "n", 2: "h", 3: "w"}
    torch.onnx.export(module.eval(), (torch.rand(1, 3, 32, 32) * 2 - 1,), str(path), input_names=["x"],
                      output_names=["out"], dynamic_axes={"x": axes, "out": axes}, dynamo=False)  # fmt: skip
    return str(path)


def _seconds(student, crop, batch):
    return 0.5


def test_probe_tells_a_normalising_teacher_from_a_local_one(tmp_path):
    card = GraphCard.parse(())
    teachers = [GraphTeacher(_export(m, tmp_path / f"{i}.onnx"), card) for i, m in enumerate((_PerImage(), _Local()))]
    per_image, local = (probe_teacher(t, t.card) for t in teachers)
    assert per_image.per_image and per_image.crop_db < 30, per_image
    assert not local.per_image and local.crop_db > 30, local
    assert per_image.label_seconds > 0 and per_image.frame == 256


def test_choose_fits_the_budget_and_keeps_what_the_user_gave():
    probe = TeacherProbe(crop_db=17.0, label_seconds=1.0, frame=256)
    r = choose(probe, {}, _seconds, minutes=60)
    assert r.choices["student"] == PER_IMAGE["student"] and r.choices["label_view"] == "frame"
    assert r.choices["w_feature"] == 0.0
    # 45 % of an hour at 1 s a label: 1,620 -> whole shards of 128; the rest of the hour in 0.5-s steps
    assert r.choices["label_crops"] == 1536
    assert r.choices["steps"] == int((3600 - 1536) / 0.5) // 100 * 100
    assert "17.0 dB" in r.reasons[0] and "normalises per image" in r.reasons[0]
    mine = choose(probe, {"steps": 7, "crop": 128, "w_ssim": 0.0}, _seconds, minutes=60)
    assert "steps" not in mine.choices and "crop" not in mine.choices and "w_ssim" not in mine.choices
    assert "labels of the frame view at 128 px" in mine.reasons[1]
    stored = choose(probe, {}, _seconds, minutes=60, labelled=1536)  # labels in the store cost nothing
    assert stored.choices["label_crops"] == 3072 and stored.choices["steps"] == r.choices["steps"]
    full = choose(probe, {"label_crops": 1536}, _seconds, minutes=60, labelled=1536)
    assert full.choices["steps"] == 7200 and "1536 already stored: 0 min" in full.reasons[2]
    grade = choose(TeacherProbe(22.0, 1.0, 256, input_db=23.0), {}, _seconds, minutes=60)
    assert grade.choices["student"] == "normres_t_050" and "grades the frame" in grade.reasons[0]
    assert grade.choices["label_colours"] == "natural" and "natural colours" in grade.reasons[0]
    assert "label_colours" not in r.choices  # a repainting teacher keeps the wide augmentation
    wide = choose(TeacherProbe(22.0, 1.0, 256, input_db=23.0), {"label_colours": "wide"}, _seconds, minutes=60)
    assert "label_colours" not in wide.choices and "natural colours" not in wide.reasons[0]
    assert "repaints the frame" in r.reasons[0]
    styled = choose(TeacherProbe(19.9, 0.1, 256, styles=26, input_db=10.5), {}, _seconds, minutes=60)
    assert styled.choices["student"] == "normgen_styled_t_050" and "26 styles" in styled.reasons[0]
    local = choose(TeacherProbe(40.0, 0.01, 256), {}, _seconds, minutes=60)
    assert local.choices["student"] == CONSISTENT["student"] and local.choices["label_view"] == "crop"
    assert local.choices["label_crops"] == 4096


def test_distill_without_a_student_uses_the_recipe_and_says_why(tmp_path):
    teacher = _export(_PerImage(), tmp_path / "style.onnx")
    tiny = ("--steps", "2", "--label-crops", "128", "--crop", "64", "--batch", "2", "--w-temporal", "0")
    tiny += ("--threads", "1")
    r = run_cli("distill", "--teacher", teacher, "--data", "builtin", *tiny, "-o", str(tmp_path / "runs"))
    assert r.returncode == 0, r.stderr
    assert "recipe (no --student given)" in r.stderr and "normalises per image" in r.stderr
    run = next((tmp_path / "runs").glob("0*"))
    config = json.loads((run / "config.json").read_text())
    assert config["student"] == "normgen_t_050" and config["label_view"] == "frame"
    assert config["w_feature"] == 0.0 and config["steps"] == 2 and config["crop"] == 64
    assert config["recipe"] and "normalises per image" in config["recipe"][0]
    assert (tmp_path / "runs" / "labels-style_onnx" / "store.json").is_file()


def test_a_graph_teacher_with_a_student_needs_no_w_feature(tmp_path):
    teacher = _export(_Local(), tmp_path / "conv.onnx")
    tiny = ("--steps", "1", "--crop", "32", "--batch", "1", "--cache-size", "4", "--w-temporal", "0")
    r = run_cli("distill", "--teacher", teacher, "--student", "shufflegen_t_038", "--data", "builtin", *tiny,
                "-o", str(tmp_path / "r"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "recipe" not in r.stderr


@pytest.mark.parametrize("value", ["-1", "nan", "1e9"])
def test_bad_budget_is_one_line(tmp_path, value):
    r = run_cli("distill", "--budget-minutes", value, "-o", str(tmp_path / "r"))
    assert r.returncode == 1 and "--budget-minutes" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "r").exists()


def test_the_recipe_keeps_the_colours_an_existing_store_was_filled_with(tmp_path):
    """A store filled before (wide or natural colours) is kept as it is: the recipe never picks colours that
    store would refuse; no store, no choice made for the user."""
    from dataclasses import asdict

    from stylelite.distill.augment import AugmentConfig
    from stylelite.distill.label_store import SPEC_FILE, STORE_FORMAT, StoreSpec
    from stylelite.distill.recipe import stored_colours

    for colours in ("wide", "natural"):
        spec = StoreSpec(teacher="t", teacher_digest="", crop=64, crops=4, shard_size=4, seed=0, sources=("a",),
                         augment=AugmentConfig(view="frame").with_colours(colours).to_dict())  # fmt: skip
        folder = tmp_path / colours
        folder.mkdir()
        (folder / SPEC_FILE).write_text(json.dumps({**asdict(spec), "format": STORE_FORMAT}))
        assert stored_colours(folder) == colours
    assert stored_colours(tmp_path / "none") is None and stored_colours(None) is None
