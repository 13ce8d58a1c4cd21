"""The shipped cartoon teacher carries how it was made: `stylelite train-teacher --threads 2` (the built-in
preset, on `world`) reproduces its config, and its log and weights agree on the held-out score."""

from __future__ import annotations

import dataclasses
import json

from stylelite.distill.trainers import TeacherTrainConfig
from stylelite.models.load import weights_metadata
from stylelite.models.registry import PRETRAINED

TEACHER = "cyclegan_r9_bn.cartoon"


def test_shipped_teacher_config_is_the_built_in_preset():
    path = PRETRAINED[TEACHER][0]
    config = json.loads(path.with_name("cyclegan_r9_bn_cartoon.config.json").read_text())
    assert TeacherTrainConfig(**config) == dataclasses.replace(TeacherTrainConfig(), threads=2)
    log = [json.loads(line) for line in path.with_name("cyclegan_r9_bn_cartoon.log.jsonl").read_text().splitlines()]
    assert max(r["step"] for r in log) == config["steps"]
    meta = weights_metadata(path)
    assert meta["train_photos"] == "world" and meta["heldout_photos"] == "chelsea,immunohistochemistry"
    final = [r["heldout_psnr_db"] for r in log if "heldout_psnr_db" in r and r["step"] == config["steps"]]
    assert final and f"{final[-1]:.2f}" == meta["heldout_psnr_db"]
