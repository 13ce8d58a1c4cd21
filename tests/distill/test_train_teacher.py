"""`stylelite train-teacher`: run folder, shippable weights, resume after an interruption."""

import json

import numpy as np
import pytest

from stylelite.distill.cartoon import cartoonize
from stylelite.distill.trainers import TeacherTrainConfig, train_teacher_family
from stylelite.distill.trainers.filter_targets import FilteredCrops
from stylelite.models.load import load_model, weights_metadata
from stylelite.runtime.errors import ConfigError
from stylelite.runtime.files import read_jsonl
from tests.conftest import make_photo, run_cli


def test_cli_writes_loadable_weights(tmp_path):
    proc = run_cli("train-teacher", "--steps", "2", "--batch", "1", "--crop", "32", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-2000:]
    run = next(tmp_path.iterdir())
    for name in ("config.json", "versions.json", "log.jsonl", "state.safetensors", "teacher_fp16.safetensors"):
        assert (run / name).exists(), name
    assert json.loads((run / "config.json").read_text())["teacher"] == "cyclegan_r9_bn"
    meta = weights_metadata(run / "teacher_fp16.safetensors")
    assert meta["teacher"] == "cyclegan_r9_bn" and float(meta["heldout_psnr_db"]) > 0
    identity = load_model("cyclegan_r9_bn", checkpoint=run / "teacher_fp16.safetensors").identity
    assert identity.weights.endswith("teacher_fp16.safetensors")


def test_resume_finishes_an_interrupted_run(tmp_path, monkeypatch):
    real = FilteredCrops.batch
    calls = {"n": 0}

    def flaky(self, n):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # Ctrl-C during step 3
        return real(self, n)

    monkeypatch.setattr(FilteredCrops, "batch", flaky)
    cfg = TeacherTrainConfig(steps=3, batch=1, crop=32, save_every=1)
    with pytest.raises(KeyboardInterrupt):
        train_teacher_family(cfg, out=tmp_path, progress=False)
    run = next(tmp_path.iterdir())
    assert not (run / "teacher_fp16.safetensors").exists()
    monkeypatch.setattr(FilteredCrops, "batch", real)
    train_teacher_family(resume=run, progress=False)
    assert (run / "teacher_fp16.safetensors").exists()
    psnr_rows = [r for r in read_jsonl(run / "log.jsonl") if "heldout_psnr_db" in r]
    assert [r["step"] for r in psnr_rows] == [0, 3]  # evaluated untrained once, and at the end


def test_paired_crops_target_is_the_cartoon_of_the_input():
    data = FilteredCrops([make_photo(160, 200)], crop=48, seed=0, augment=False)
    x, y = data.sample()
    assert x.shape == y.shape == (48, 48, 3)
    assert not np.array_equal(x, y)
    # Without augmentation the target is the filter applied with a margin, then cropped.
    assert abs(float(cartoonize(np.ascontiguousarray(x)).mean()) - float(y.mean())) < 12


def test_config_errors_say_what_to_fix():
    with pytest.raises(ConfigError, match="multiple of 4"):
        TeacherTrainConfig(crop=30)


def test_teachers_train_on_the_world_corpus():
    from stylelite.distill.trainers.data import list_sources, load_images
    from stylelite.runtime.corpus import PHOTOS, TEXTURES

    assert list_sources(("world", "builtin")) == ["world", "builtin"]
    images = load_images(("world",))
    # less the two held-out photos every cartoon teacher is scored on
    assert len(images) == len(PHOTOS) + len(TEXTURES) - 2 and all(i.ndim == 3 and i.shape[2] == 3 for i in images)


def test_distill_and_train_teacher_share_one_world_without_the_held_out_photos():
    """Run logs score students and teachers on the held-out photos: `--data world` never trains on them."""
    from stylelite.distill.data import named_sources
    from stylelite.distill.photos import HELDOUT_PHOTOS
    from stylelite.distill.trainers.data import load_images

    world = named_sources(("world",))
    assert world and not set(HELDOUT_PHOTOS) & set(world)
    assert [i.shape for i in world.values()] == [i.shape for i in load_images(("world",))]
