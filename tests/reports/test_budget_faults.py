"""Budget files and records a user can get wrong (issue 15, items 12 and 24): one line naming the file and
the field, exit 1, never a traceback, never a silent pass."""

from __future__ import annotations

import json

import pytest

from stylelite.cli.main import main
from stylelite.reports.budgets import load_budgets
from stylelite.runtime.errors import BudgetError

RECORD = {"model": "mobilegen_s_050", "artifact": "/a/student.onnx", "engine": "onnxruntime", "size_mb": 0.8,
          "latency_ms": {"p90": 30.0}, "fps": 40.0, "flicker": 0.0004, "device": {"device": "local"},
          "status": "ok"}  # fmt: skip


@pytest.fixture
def records(tmp_path):
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps(RECORD) + "\n")
    return path


def _check(tmp_path, capsys, budget_text: str | bytes, records) -> tuple[int, str]:
    budgets = tmp_path / "b.toml"
    budgets.write_bytes(budget_text if isinstance(budget_text, bytes) else budget_text.encode())
    rc = main(["budget", "check", "--budgets", str(budgets), str(records), "-o", ""])
    return rc, capsys.readouterr().err


@pytest.mark.parametrize(
    "text,message",
    [
        ('[[budget]]\nmodel = "*"\nmin_fps = true\n', r"min_fps must be a finite number >= 0, got True"),
        ('[[budget]]\nmodel = "*"\nmax_p90_ms = "30"\n', r"max_p90_ms must be a finite number >= 0, got '30'"),
        ('[[budget]]\nmodel = "*"\nmax_flicker = nan\n', r"max_flicker must be a finite number >= 0, got nan"),
        ("[[budget]]\nmodel = 5\nmax_size_mb = 1.0\n", r"\[\[budget\]\] 1: model must be a glob string"),
        ('[[budget]]\nmodel = "*"\ndevice = ["a"]\nmax_size_mb = 1.0\n', r"device must be a glob string"),
        ("budget = [1, 2]\n", r"\[\[budget\]\] 1 must be a table"),
    ],
    ids=["bool", "string", "nan", "model-int", "device-list", "not-a-table"],
)
def test_budget_values_of_the_wrong_type_are_one_line(tmp_path, capsys, records, text, message):
    rc, err = _check(tmp_path, capsys, text, records)
    assert rc == 1 and len(err.strip().splitlines()) == 1, err
    assert str(tmp_path / "b.toml") in err
    with pytest.raises(BudgetError, match=message):
        load_budgets(tmp_path / "b.toml")


def test_a_budget_file_that_is_not_utf8_is_one_line(tmp_path, capsys, records):
    rc, err = _check(tmp_path, capsys, b'[[budget]]\nmodel = "\xff\xfe"\nmax_size_mb = 1.0\n', records)
    assert rc == 1 and len(err.strip().splitlines()) == 1 and "not UTF-8" in err and "b.toml" in err, err


def test_min_fps_true_no_longer_passes_as_one_fps(tmp_path, capsys, records):
    """Before: `min_fps = true` passed a 40 fps record (True == 1)."""
    rc, err = _check(tmp_path, capsys, '[[budget]]\nmodel = "*"\nmin_fps = true\n', records)
    assert rc == 1 and "PASS" not in err and "min_fps" in err


def test_a_record_with_negative_flicker_is_refused_not_passed(tmp_path, capsys):
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps(RECORD) + "\n" + json.dumps({**RECORD, "flicker": -1}) + "\n")
    rc, err = _check(tmp_path, capsys, '[[budget]]\nmodel = "*"\nmax_flicker = 0.001\n', path)
    assert rc == 1 and len(err.strip().splitlines()) == 1, err
    assert f"{path}:2: flicker must be a finite number >= 0, got -1" in err
