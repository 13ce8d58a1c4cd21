"""Budgets: the CI gate. Rules from TOML, records from JSON lines, a pass/fail per (record, limit).

    [[budget]]
    model = "mobilegen_s_*"   # glob on the record's model name or artifact file name
    device = "local"          # glob on the device name (default "*")
    max_size_mb = 1.0
    max_p90_ms = 40.0
    min_fps = 25.0
    max_flicker = 0.001
    min_fidelity_psnr_db = 20.0

A missing measurement is a failure, and so is a rule no record matches. A latency limit (p90, fps) on
a record from an emulated board (`emulated = true`, `stylelite emulate arm64`) is refused (BudgetError).
The checks take the records they are given (`stylelite budget check` reads them from JSON lines or
measures model files first).
"""

from __future__ import annotations

import fnmatch
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from stylelite.benchmark.records import BenchRecord
from stylelite.benchmark.table import text_table
from stylelite.runtime.errors import BudgetError
from stylelite.runtime.files import read_toml, write_text_atomic

# limit key -> (record metric, "max" or "min", unit)
LIMITS: dict[str, tuple[str, str, str]] = {
    "max_size_mb": ("size_mb", "max", "MB"),
    "max_p90_ms": ("p90_ms", "max", "ms"),
    "min_fps": ("fps", "min", "fps"),
    "max_flicker": ("flicker", "max", ""),
    "min_fidelity_psnr_db": ("fidelity_psnr_db", "min", "dB"),
}
DEFAULT_BUDGETS = Path(__file__).resolve().parent / "budgets.toml"
LATENCY_LIMITS = ("max_p90_ms", "min_fps")  # meaningless on an emulated board (records with emulated = true)


@dataclass(frozen=True)
class Budget:
    """Limits (`LIMITS` keys) for the records whose model or artifact name and device match the globs."""

    model: str
    device: str = "*"
    limits: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if not self.model:
            raise BudgetError('a [[budget]] needs `model = "glob"` (e.g. "mobilegen_s_*")')
        for key in ("model", "device"):
            if not isinstance(getattr(self, key), str):
                raise BudgetError(
                    f'{key} must be a glob string (e.g. {key} = "{"mobilegen_s_*" if key == "model" else "local"}"), '
                    f"got {getattr(self, key)!r:.60}"
                )
        for key, value in self.limits:
            if key not in LIMITS:
                raise BudgetError(f"unknown budget limit {key!r}; use one of {', '.join(LIMITS)}")
            number = isinstance(value, (int, float)) and not isinstance(value, bool)  # `true` is not 1 fps
            if not number or not math.isfinite(value) or value < 0:
                raise BudgetError(f"budget {self.model}: {key} must be a finite number >= 0, got {value!r:.60}")
        if not self.limits:
            raise BudgetError(f"budget {self.model}: give at least one limit ({', '.join(LIMITS)})")

    def matches(self, rec: BenchRecord) -> bool:
        """Whether the record's model or artifact file name and its device match this budget's globs."""
        names = {rec.model, Path(rec.artifact).name}
        return any(fnmatch.fnmatch(n, self.model) for n in names) and fnmatch.fnmatch(_device(rec), self.device)


def _device(rec: BenchRecord) -> str:
    return str(rec.device.get("device", "local"))


@dataclass(frozen=True)
class Check:
    """One limit of one budget against one record (or against none: `value` None, not passed)."""

    budget: Budget
    device: str
    subject: str  # artifact / engine
    limit: str
    bound: float
    value: float | None
    passed: bool
    note: str = ""


def load_budgets(path: str | Path | None = None) -> list[Budget]:
    """The [[budget]] tables of a TOML file (default: the shipped reports/budgets.toml)."""
    path = Path(path) if path else DEFAULT_BUDGETS
    raw = read_toml(path, "budget file", BudgetError)
    entries = raw.get("budget")
    if not isinstance(entries, list) or not entries:
        raise BudgetError(f"{path}: no [[budget]] tables")
    out = []
    for i, e in enumerate(entries, 1):
        if not isinstance(e, dict):
            raise BudgetError(f'{path}: [[budget]] {i} must be a table (model = "glob" and limits), got {e!r:.60}')
        e = dict(e)
        model, device = e.pop("model", ""), e.pop("device", "*")
        try:
            out.append(Budget(model=model, device=device, limits=tuple(sorted(e.items()))))
        except BudgetError as exc:
            raise BudgetError(f"{path}: [[budget]] {i}: {exc}") from None
    return out


def metric(rec: BenchRecord, name: str) -> float | None:
    """A record's measurement, or None when it was not measured (or the run failed)."""
    if not rec.status.startswith("ok"):
        return None
    v = rec.latency_ms.get("p90") if name == "p90_ms" else getattr(rec, name)
    if name == "fps" and not v:
        return None
    return None if v is None else float(v)


def check_budgets(budgets: list[Budget], records: list[BenchRecord]) -> list[Check]:
    """A check per (budget, matching record, limit); a budget no record matches fails each of its limits."""
    checks = []
    for b in budgets:
        matched = [r for r in records if b.matches(r)]
        if not matched:
            for key, bound in b.limits:
                checks.append(
                    Check(b, b.device, b.model, key, bound, None, False, "no measurement matches this budget")
                )
            continue
        for r in matched:
            device = _device(r)
            timed = [key for key, _ in b.limits if key in LATENCY_LIMITS]
            if r.emulated and timed:
                raise BudgetError(
                    f"budget {b.model}: {', '.join(timed)} cannot be checked on {device}, whose latency is emulated "
                    f"({r.device.get('emulator', 'qemu')}), not the board's; limit the budget to real boards "
                    '(device = "NAME") or keep only size, flicker and fidelity limits for it'
                )
            subject = f"{Path(r.artifact).name} [{r.engine}]"
            for key, bound in b.limits:
                name, kind, _ = LIMITS[key]
                v = metric(r, name)
                if v is None:
                    note = "not measured" if r.status.startswith("ok") else f"not measured ({r.status})"
                    checks.append(Check(b, device, subject, key, bound, None, False, note))
                else:
                    ok = v <= bound if kind == "max" else v >= bound
                    checks.append(Check(b, device, subject, key, bound, v, ok))
    return checks


def _fmt(v: float | None) -> str:
    if v is None:
        return "missing"
    return f"{v:.5f}" if abs(v) < 0.1 else f"{v:.2f}"


def format_checks(checks: list[Check]) -> str:
    """The checks as a table (result | device | artifact | limit | bound | value | note) and a pass/fail count."""
    head = ["result", "device", "artifact", "limit", "bound", "value", "note"]
    rows = [
        ["PASS" if c.passed else "FAIL", c.device, c.subject, c.limit, _fmt(c.bound), _fmt(c.value), c.note]
        for c in checks
    ]
    failed = sum(not c.passed for c in checks)
    return text_table(head, rows, align="<<<<>><") + f"\n{len(checks) - failed} passed, {failed} failed"


def markdown_summary(checks: list[Check]) -> str:
    """The checks as Markdown (summary.md, and the GitHub step summary)."""
    failed = sum(not c.passed for c in checks)
    head = ["result", "device", "artifact", "limit", "bound", "value", "note"]
    marks = {True: "✅ pass", False: "❌ FAIL"}
    rows = [
        [marks[c.passed], c.device, f"`{c.subject}`", c.limit, _fmt(c.bound), _fmt(c.value), c.note] for c in checks
    ]
    table = text_table(head, rows, markdown=True)
    verdict = "FAILED" if failed else "passed"
    return f"## Budget check: {verdict} ({len(checks) - failed}/{len(checks)} within budget)\n\n{table}\n"


def junit_xml(checks: list[Check]) -> str:
    """The checks as JUnit XML (one test case per check) for CI."""
    failed = sum(not c.passed for c in checks)
    suites = ET.Element("testsuites", name="stylelite budgets", tests=str(len(checks)), failures=str(failed))
    suite = ET.SubElement(suites, "testsuite", name="budgets", tests=str(len(checks)), failures=str(failed))
    for c in checks:
        case = ET.SubElement(suite, "testcase", classname=f"budget.{c.device}", name=f"{c.subject} {c.limit}")
        if not c.passed:
            msg = f"{c.limit} = {_fmt(c.value)} (bound {_fmt(c.bound)})" + (f": {c.note}" if c.note else "")
            ET.SubElement(case, "failure", message=msg, type="BudgetViolation").text = msg
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def budget_check(
    records: list[BenchRecord], budgets: list[Budget], out_dir: str | Path | None = "budget-check"
) -> list[Check]:
    """Check records against budgets; write junit.xml and summary.md (and the GitHub step summary).

    Args:
        records: the measurements to check (read from JSON lines, or just measured).
        budgets: the rules (`load_budgets`).
        out_dir: folder for junit.xml and summary.md; none: write neither.
    """
    import os

    checks = check_budgets(budgets, records)
    if out_dir:
        write_text_atomic(Path(out_dir) / "junit.xml", junit_xml(checks))
        write_text_atomic(Path(out_dir) / "summary.md", markdown_summary(checks))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as f:
            f.write(markdown_summary(checks))
    return checks
