"""Budgets: the CI gate, as CI runs it on the demo student's artifacts, and its failure modes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from stylelite.benchmark.records import BenchRecord
from stylelite.reports.budgets import Budget, check_budgets, junit_xml, load_budgets
from stylelite.runtime.errors import BudgetError
from tests.conftest import ROOT, run_cli


def _rec(**kw) -> BenchRecord:
    rec = {"model": "mobilegen_s_050", "artifact": "/a/student.onnx", "engine": "onnxruntime", "size_mb": 0.8,
           "latency_ms": {"p90": 30.0}, "fps": 40.0, "flicker": 0.0004, "fidelity_psnr_db": None,
           "device": {"device": "local"}, "status": "ok"}  # fmt: skip
    rec.update(kw)
    return BenchRecord.from_dict(rec)


def test_missing_measurements_and_unmatched_budgets_fail():
    b = Budget("mobilegen_s_*", "local", (("max_size_mb", 1.0), ("min_fidelity_psnr_db", 20.0)))
    checks = check_budgets([b], [_rec()])
    assert [(c.limit, c.passed) for c in checks] == [("max_size_mb", True), ("min_fidelity_psnr_db", False)]
    assert checks[1].note == "not measured"
    (c,) = check_budgets([Budget("mobilegen_s_*", "pixel8", (("max_p90_ms", 33.0),))], [_rec()])
    assert not c.passed and "no measurement" in c.note
    (c,) = check_budgets([Budget("*", "*", (("max_p90_ms", 33.0),))], [_rec(status="error: board: timed out")])
    assert not c.passed and "timed out" in c.note
    root = ET.fromstring(junit_xml(checks))
    assert root.get("failures") == "1" and len(root.iter("failure").__next__().get("message")) > 0


def test_budget_file_errors_say_what_to_fix(tmp_path):
    bad = tmp_path / "b.toml"
    bad.write_text('[[budget]]\nmodel = "x"\nmax_latency = 3\n')
    with pytest.raises(BudgetError, match="unknown budget limit 'max_latency'; use one of max_size_mb"):
        load_budgets(bad)
    assert load_budgets()[0].model == "mobilegen_s_*"  # the shipped reports/budgets.toml


def test_ci_budget_gate_on_the_demo_student(student_onnx, clip_path, tmp_path):
    """What CI gates on: the student's size and flicker on this machine (no latency: shared CPU)."""
    out = tmp_path / "bench.jsonl"
    proc = run_cli("bench", str(student_onnx), "--clip", str(clip_path), "--iters", "8", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    gate = run_cli("budget", "check", "--budgets", str(ROOT / "stylelite" / "reports" / "budgets.toml"), str(out),
                   "-o", str(tmp_path / "ci"))  # fmt: skip
    print(gate.stdout)
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "PASS" in gate.stdout and "FAIL" not in gate.stdout.split("\n", 2)[2]
    assert ET.parse(tmp_path / "ci" / "junit.xml").getroot().get("failures") == "0"
    assert "Budget check: passed" in (tmp_path / "ci" / "summary.md").read_text()

    strict = tmp_path / "strict.toml"
    strict.write_text('[[budget]]\nmodel = "mobilegen_s_*"\nmax_size_mb = 0.01\nmax_flicker = 0.001\n'
                      '[[budget]]\nmodel = "mobilegen_s_*"\ndevice = "jetson"\nmax_p90_ms = 10\n')  # fmt: skip
    gate = run_cli("budget", "check", "--budgets", str(strict), str(out), "-o", str(tmp_path / "ci2"))
    print(gate.stdout)
    assert gate.returncode == 1 and "Traceback" not in gate.stderr
    root = ET.parse(tmp_path / "ci2" / "junit.xml").getroot()
    assert root.get("failures") == "2" and root.get("tests") == "3"
    failures = [f.get("message") for f in root.iter("failure")]
    assert any("max_size_mb" in m for m in failures) and any("no measurement" in m for m in failures)
    assert run_cli("budget", "check", "--budgets", str(tmp_path / "nope.toml"), str(out)).returncode == 1
    rows = json.loads(run_cli("budget", "check", str(out), "-o", "", "--json").stdout)
    assert {r["limit"] for r in rows} == {"max_size_mb", "max_flicker"}


def test_budget_check_measures_model_files_given_as_results(student_onnx, clip_path, tmp_path):
    """`stylelite budget check student.onnx --clip clip.mp4`: the verb measures, the budgets check."""
    budgets = tmp_path / "b.toml"
    budgets.write_text('[[budget]]\nmodel = "*"\nmax_size_mb = 100\nmax_flicker = 1.0\n')
    gate = run_cli("budget", "check", "--budgets", str(budgets), str(student_onnx), "--clip", str(clip_path),
                   "-o", "", "--json")  # fmt: skip
    assert gate.returncode == 0, gate.stdout + gate.stderr
    checks = [(r["limit"], r["passed"]) for r in json.loads(gate.stdout)]
    assert checks == [("max_flicker", True), ("max_size_mb", True)]
    nothing = run_cli("budget", "check", "--budgets", str(budgets), str(student_onnx))
    assert nothing.returncode == 1 and "re-measuring model files needs --clip VIDEO" in nothing.stderr
