"""Budgets: the CI gate. Rules from TOML, records from JSON lines, a pass/fail per (record, limit).

    [[budget]]
    model = "mobilegen_s_*"   # glob on the record's model name or artifact file name
    device = "local"          # glob on the device name (default "*")
    max_size_mb = 1.0
    max_p90_ms = 40.0
    min_fps = 25.0
    max_flicker = 0.001
    min_fidelity_psnr_db = 20.0

A missing measurement is a failure, and so is a rule no record matches.
"""

from __future__ import annotations

import fnmatch
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from stylelite.runtime.errors import BudgetError
from stylelite.runtime.files import read_toml

# limit key -> (record metric, "max" or "min", unit)
LIMITS: dict[str, tuple[str, str, str]] = {
    "max_size_mb": ("size_mb", "max", "MB"),
    "max_p90_ms": ("p90_ms", "max", "ms"),
    "min_fps": ("fps", "min", "fps"),
    "max_flicker": ("flicker", "max", ""),
    "min_fidelity_psnr_db": ("fidelity_psnr_db", "min", "dB"),
}
DEFAULT_BUDGETS = Path(__file__).resolve().parent / "budgets.toml"


@dataclass(frozen=True)
class Budget:
    model: str
    device: str = "*"
    limits: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if not self.model:
            raise BudgetError('a [[budget]] needs `model = "glob"` (e.g. "mobilegen_s_*")')
        for key, value in self.limits:
            if key not in LIMITS:
                raise BudgetError(f"unknown budget limit {key!r}; use one of {', '.join(LIMITS)}")
            if not isinstance(value, (int, float)) or value < 0:
                raise BudgetError(f"budget {self.model}: {key} must be a non-negative number, got {value!r}")
        if not self.limits:
            raise BudgetError(f"budget {self.model}: give at least one limit ({', '.join(LIMITS)})")

    def matches(self, rec: dict) -> bool:
        names = {str(rec.get("model", "")), Path(str(rec.get("artifact", ""))).name}
        device = str((rec.get("device") or {}).get("device", "local"))
        return any(fnmatch.fnmatch(n, self.model) for n in names) and fnmatch.fnmatch(device, self.device)


@dataclass(frozen=True)
class Check:
    budget: Budget
    device: str
    subject: str  # artifact / engine
    limit: str
    bound: float
    value: float | None
    passed: bool
    note: str = ""


def load_budgets(path: str | Path | None = None) -> list[Budget]:
    path = Path(path) if path else DEFAULT_BUDGETS
    raw = read_toml(path, "budget file", BudgetError)
    entries = raw.get("budget")
    if not isinstance(entries, list) or not entries:
        raise BudgetError(f"{path}: no [[budget]] tables")
    out = []
    for e in entries:
        e = dict(e)
        model, device = e.pop("model", ""), e.pop("device", "*")
        out.append(Budget(model=model, device=device, limits=tuple(sorted(e.items()))))
    return out


def metric(rec: dict, name: str) -> float | None:
    """A record's measurement, or None when it was not measured (or the run failed)."""
    if not str(rec.get("status", "ok")).startswith("ok"):
        return None
    if name == "p90_ms":
        v = (rec.get("latency_ms") or {}).get("p90")
    else:
        v = rec.get(name)
    if name == "fps" and not v:
        return None
    return None if v is None else float(v)


def check_budgets(budgets: list[Budget], records: list[dict]) -> list[Check]:
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
            device = str((r.get("device") or {}).get("device", "local"))
            subject = f"{Path(str(r.get('artifact', '?'))).name} [{r.get('engine', '-')}]"
            for key, bound in b.limits:
                name, kind, _ = LIMITS[key]
                v = metric(r, name)
                if v is None:
                    why = r.get("status", "ok")
                    note = f"not measured ({why})" if not str(why).startswith("ok") else "not measured"
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
    head = ["result", "device", "artifact", "limit", "bound", "value", "note"]
    rows = [
        ["PASS" if c.passed else "FAIL", c.device, c.subject, c.limit, _fmt(c.bound), _fmt(c.value), c.note]
        for c in checks
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    line = lambda cells: "  ".join(str(c).ljust(n) for c, n in zip(cells, widths)).rstrip()  # noqa: E731
    failed = sum(not c.passed for c in checks)
    tail = f"{len(checks) - failed} passed, {failed} failed"
    return "\n".join([line(head), line(["-" * n for n in widths])] + [line(r) for r in rows] + [tail])


def markdown_summary(checks: list[Check]) -> str:
    failed = sum(not c.passed for c in checks)
    lines = [
        f"## Budget check: {'FAILED' if failed else 'passed'} ({len(checks) - failed}/{len(checks)} within budget)",
        "",
        "| result | device | artifact | limit | bound | value | note |",
        "|---|---|---|---|---|---|---|",
    ]
    for c in checks:
        mark = "✅ pass" if c.passed else "❌ FAIL"
        lines.append(
            f"| {mark} | {c.device} | `{c.subject}` | {c.limit} | {_fmt(c.bound)} | {_fmt(c.value)} | {c.note} |"
        )
    return "\n".join(lines) + "\n"


def junit_xml(checks: list[Check]) -> str:
    failed = sum(not c.passed for c in checks)
    suites = ET.Element("testsuites", name="stylelite budgets", tests=str(len(checks)), failures=str(failed))
    suite = ET.SubElement(suites, "testsuite", name="budgets", tests=str(len(checks)), failures=str(failed))
    for c in checks:
        case = ET.SubElement(suite, "testcase", classname=f"budget.{c.device}", name=f"{c.subject} {c.limit}")
        if not c.passed:
            msg = f"{c.limit} = {_fmt(c.value)} (bound {_fmt(c.bound)})" + (f": {c.note}" if c.note else "")
            ET.SubElement(case, "failure", message=msg, type="BudgetViolation").text = msg
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


MODEL_SUFFIXES = (".onnx", ".tflite")


def gather_records(
    results: list[str | Path],
    clip: str | Path | None = None,
    device: str | None = None,
    devices: str | Path | None = None,
    iters: int = 20,
) -> list[dict]:
    """Records from JSON-lines files, plus fresh measurements of any model files among `results`."""
    from stylelite.runtime.files import read_jsonl

    records: list[dict] = []
    models = []
    for item in results:
        p = Path(item)
        if p.suffix in MODEL_SUFFIXES:
            models.append(p)
            continue
        if not p.is_file():
            raise BudgetError(f"results file not found: {p}")
        records += read_jsonl(p)
    if models:
        if not clip:
            raise BudgetError("re-measuring model files needs --clip VIDEO")
        if device:
            from stylelite.device_tests.inventory import load_inventory, select_devices
            from stylelite.device_tests.remote_bench import bench_devices

            recs, _ = bench_devices(models, clip, select_devices(load_inventory(devices), device), iters=iters)
        else:
            from stylelite.device_tests.bench import bench

            recs = bench(models, clip, iters=iters, progress=False).records
        records += [r.to_dict() for r in recs]
    return records


def budget_check(
    results: list[str | Path],
    budgets: str | Path | None = None,
    clip: str | Path | None = None,
    device: str | None = None,
    devices: str | Path | None = None,
    out_dir: str | Path | None = "budget-check",
) -> list[Check]:
    """Check records (read or re-measured) against a budget file; write junit.xml and summary.md."""
    import os

    from stylelite.runtime.files import write_text_atomic

    rules = load_budgets(budgets)
    if not results:
        raise BudgetError("give results (JSON lines from `stylelite bench --out`) or model files with --clip")
    checks = check_budgets(rules, gather_records(results, clip, device, devices))
    if out_dir:
        write_text_atomic(Path(out_dir) / "junit.xml", junit_xml(checks))
        write_text_atomic(Path(out_dir) / "summary.md", markdown_summary(checks))
    step_summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if step_summary:
        with open(step_summary, "a", encoding="utf-8") as f:
            f.write(markdown_summary(checks))
    return checks
