"""Run folders as hostile runs leave them: a run that fails in its first step leaves no folder; config.json
records the paths a run used relative to the run folder (or the package), never as this machine's paths, and
a resume resolves them back; the shipped configs hold no machine paths. Also the bounds on torchrun ranks
and the one line a dead rank ends with."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn

from stylelite.distill.loop import LoopSettings, LRSchedule, Trainer, run_training
from stylelite.distill.run_dir import load_config_json, save_resolved_config
from stylelite.runtime.errors import ConfigError

torch.set_num_threads(1)


class Failing(Trainer):
    def __init__(self, fail_at: int) -> None:
        super().__init__()
        self.net = nn.Linear(2, 2)
        self.modules, self.optimizers = {"net": self.net}, {"opt": torch.optim.SGD(self.net.parameters(), lr=0.1)}
        self.fail_at, self.calls = fail_at, 0

    def train_step(self):
        self.calls += 1
        if self.calls == self.fail_at:
            raise IndexError("labels of the wrong shape")
        loss = self.net(torch.ones(1, 2)).pow(2).mean()
        self.optimizers["opt"].zero_grad()
        loss.backward()
        self.optimizers["opt"].step()
        return {"loss": loss.detach()}

    def evaluate(self):
        return {"score": 1.0}

    def finish(self, run, scores):
        pass


def _settings() -> LoopSettings:
    return LoopSettings(
        label="f", desc="f", steps=4, schedule=LRSchedule("constant", 0.1, 4), save_every=10, log_every=1
    )


def test_a_run_failing_in_its_first_step_leaves_no_folder(tmp_path):
    with pytest.raises(IndexError):
        run_training({"x": 1}, lambda ctx: Failing(1), _settings(), out=tmp_path / "runs", progress=False)
    assert list((tmp_path / "runs").iterdir()) == []
    with pytest.raises(IndexError):  # after a step, the folder (its log) is kept
        run_training({"x": 1}, lambda ctx: Failing(3), _settings(), out=tmp_path / "later", progress=False)
    (run,) = (tmp_path / "later").iterdir()
    assert (run / "log.jsonl").is_file()


def test_config_json_records_paths_relative_to_the_run_folder_and_the_package(tmp_path, monkeypatch):
    from stylelite.models.registry import PRETRAINED

    monkeypatch.chdir(tmp_path)
    run = tmp_path / "runs" / "00001-x"
    run.mkdir(parents=True)
    shipped = str(PRETRAINED["shufflegen_s_050.cartoon"][0])
    config = {"labels": str(tmp_path / "labels"), "init_from": shipped, "vgg": None, "teacher_checkpoint": "ck.pth"}
    save_resolved_config(run, config)
    raw = json.loads((run / "config.json").read_text())
    assert raw["labels"] == "../../labels" and raw["teacher_checkpoint"] == "../../ck.pth"
    assert raw["init_from"] == "stylelite:models/weights/shufflegen_s_050_cartoon.safetensors"
    assert str(tmp_path) not in (run / "config.json").read_text()
    monkeypatch.chdir(run)  # resumed from elsewhere: the paths still name the same files
    back = load_config_json(run)
    assert os.path.abspath(back["labels"]) == str(tmp_path / "labels") and back["init_from"] == shipped
    assert "paths_relative_to" not in back and back["vgg"] is None


def test_shipped_configs_hold_no_machine_paths():
    from stylelite.models.registry import PRETRAINED

    folder = Path(PRETRAINED["shufflegen_s_050.cartoon"][0]).parent
    configs = sorted(folder.glob("*.config.json"))
    assert configs
    for path in configs:
        for key, value in json.loads(path.read_text()).items():
            assert not (isinstance(value, str) and (os.path.isabs(value) or value.startswith("~"))), (path.name, key)


def test_nproc_per_node_is_bounded_by_the_cores(tmp_path, capsys):
    from stylelite.cli.main import main
    from stylelite.distill.distributed import check_nproc_per_node

    cores = len(os.sched_getaffinity(0))
    check_nproc_per_node(cores)
    with pytest.raises(ConfigError, match=f"more ranks than the {cores} CPU core"):
        check_nproc_per_node(cores + 1)
    with pytest.raises(ConfigError, match="use 1 or more"):
        check_nproc_per_node(0)
    assert main(["distill", "--nproc-per-node", "1000", "--random-teacher", "-o", str(tmp_path / "r")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--nproc-per-node 1000: more ranks than" in err
    assert not (tmp_path / "r").exists()


def test_a_dead_rank_ends_the_launch_in_one_line(tmp_path):
    script = tmp_path / "die.py"
    script.write_text(
        "import os, signal, time\n"
        "if os.environ['RANK'] == '1':\n    os.kill(os.getpid(), signal.SIGKILL)\n"
        "time.sleep(30)\n"
    )
    cmd = [sys.executable, "-m", "stylelite.distill.torchrun_quiet", "--standalone", "--nproc-per-node=2", str(script)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert r.returncode == 1
    assert r.stderr.strip() == (
        "stylelite: error: rank 1 of 2 was killed by SIGKILL; the other ranks were stopped (a rank's own error, "
        "if any, is printed above)"
    )
    assert "Traceback" not in r.stdout + r.stderr
