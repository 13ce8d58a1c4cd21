"""The loss table (distill/criteria.py) drives the config, the CLI, the step's loss and the student's metadata."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
import torch

from stylelite.cli.main import build_parser
from stylelite.distill import criteria
from stylelite.distill.criteria import CRITERIA, Criterion, StepBatch, recorded_weights, weighted_loss
from stylelite.distill.distill_config import DistillConfig
from stylelite.runtime.errors import ConfigError


def test_every_loss_is_a_config_field_and_an_option_with_its_default():
    fields = {f.name: f.default for f in dataclasses.fields(DistillConfig)}
    parser = build_parser("distill")
    for c in CRITERIA:
        assert fields[c.weight] == c.default, c.weight
        args = parser.parse_args(["distill", "--" + c.weight.replace("_", "-"), "0.5"])
        assert getattr(args, c.weight) == 0.5
        with pytest.raises(ConfigError, match=f"{c.weight}=-1.0: use a finite loss weight >= 0"):
            DistillConfig(random_teacher=True, **{c.weight: -1.0})


def _batch() -> StepBatch:
    x = torch.zeros(2, 3, 8, 8)
    return StepBatch(x, x + 1, {}, x, {})


def test_a_new_table_entry_is_weighted_logged_and_recorded(monkeypatch):
    table = (
        Criterion("pixel", "w_pixel", 1.0, lambda t, b: (b.y_s - b.y_t).abs().mean(), "", criteria.COMPUTE),
        Criterion("edges", "w_edges", 0.0, lambda t, b: torch.tensor(2.0), "a new loss"),
        Criterion("calm", "w_calm", 0.0, lambda t, b: pytest.fail("an off loss ran"), "", criteria.ZERO),
    )
    monkeypatch.setattr(criteria, "CRITERIA", table)
    trainer = SimpleNamespace(config=SimpleNamespace(w_pixel=1.0, w_edges=3.0, w_calm=0.0))
    loss, terms = weighted_loss(trainer, _batch(), torch.zeros(()))
    assert float(loss) == pytest.approx(1.0 + 3.0 * 2.0)
    assert {k: float(v) for k, v in terms.items()} == {"pixel": 1.0, "edges": 2.0, "calm": 0.0}
    assert recorded_weights(trainer.config) == {"w_pixel": 1.0, "w_edges": 3.0}  # on: recorded; off: not


def test_off_losses_log_as_before_and_the_metadata_keeps_its_keys():
    c = DistillConfig(random_teacher=True, w_ssim=0.5)
    assert recorded_weights(c) == {"w_ssim": 0.5, "w_temporal": 5.0, "w_long_term": 0.0, "w_single_frame": 0.0}
    logged_when_off = {k.name for k in CRITERIA if k.when_off != criteria.SKIP}
    assert logged_when_off == {"pixel", "feature", "color", "temporal", "long_term", "single_frame"}


def test_distill_relaunch_argv_gives_each_rank_the_same_options(monkeypatch, tmp_path):
    from stylelite.cli import distill as cli
    from stylelite.distill import distributed

    argv = ["distill", "--random-teacher", "--data", "builtin", "--data", "world", "--key-map", "a=b"]
    argv += ["--long-term-offsets", "3", "7", "--w-ssim", "0.5", "--amp", "--steps", "2", "-o", str(tmp_path)]
    launched = {}
    monkeypatch.setattr(distributed, "launch_torchrun", lambda n, a: launched.update(n=n, argv=a) or 0)
    monkeypatch.setattr(distributed, "under_torchrun", lambda: False)
    args = build_parser("distill").parse_args([*argv, "--nproc-per-node", "2"])
    assert cli.execute(args) == 0
    assert launched["n"] == 2 and "--nproc-per-node" not in launched["argv"]
    again = vars(build_parser("distill").parse_args(launched["argv"]))
    assert again == {**vars(args), "nproc_per_node": 1}
