"""Dropping residual blocks from trained weights: what `python -m stylelite.distill.drop_blocks` writes loads
strictly into the shallower student and computes what the deeper one computes without those blocks."""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch
from torch import nn

from stylelite.distill.drop_blocks import drop_blocks
from stylelite.models.registry import create_student
from stylelite.runtime.errors import ConfigError, InputError


def _drop_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "stylelite.distill.drop_blocks", *args], capture_output=True, text=True, timeout=300
    )


def test_dropped_weights_load_into_the_shallower_student_and_match_the_deeper_one_without_the_block(tmp_path):
    out = tmp_path / "f.safetensors"
    r = _drop_cli("shufflegen_s_050.cartoon", str(out), "--drop", "5")
    assert r.returncode == 0, r.stderr
    assert "5 blocks left" in r.stdout
    shallow = create_student("shufflegen_f_050", checkpoint=out)
    deep = create_student("shufflegen_s_050.cartoon")
    deep.blocks = nn.Sequential(*list(deep.blocks)[:5])
    x = torch.rand(1, 3, 64, 96) * 2 - 1
    with torch.no_grad():
        assert torch.equal(shallow(x), deep(x))


def test_blocks_after_the_dropped_one_are_renumbered():
    state = {f"blocks.{i}.conv1.weight": torch.full((1,), float(i)) for i in range(4)} | {"head.weight": torch.ones(1)}
    out = drop_blocks(state, {1})
    assert sorted(out) == ["blocks.0.conv1.weight", "blocks.1.conv1.weight", "blocks.2.conv1.weight", "head.weight"]
    assert [out[f"blocks.{i}.conv1.weight"].item() for i in range(3)] == [0.0, 2.0, 3.0]


def test_bad_drops_are_refused():
    state = {f"blocks.{i}.w": torch.ones(1) for i in range(2)}
    with pytest.raises(ConfigError, match="blocks 0 to 1"):
        drop_blocks(state, {2})
    with pytest.raises(ConfigError, match="no block"):
        drop_blocks(state, {0, 1})
    with pytest.raises(InputError, match="no residual blocks"):
        drop_blocks({"head.w": torch.ones(1)}, {0})


def test_an_existing_output_is_not_overwritten_and_errors_are_one_line(tmp_path):
    out = tmp_path / "mine.safetensors"
    out.write_bytes(b"user data")
    r = _drop_cli("shufflegen_s_050.cartoon", str(out), "--drop", "1")
    assert r.returncode != 0 and out.read_bytes() == b"user data"
    assert r.stderr.strip() == f"error: {out} exists; give a new file name"
    r = _drop_cli("shufflegen_s_050.cartoon", str(tmp_path / "new.safetensors"), "--drop", "9")
    assert r.returncode != 0 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "new.safetensors").exists()
