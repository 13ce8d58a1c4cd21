"""`stylelite budget check`: records read from JSON lines, or model files measured now (on this machine
with stylelite.benchmark.host_bench.bench, on inventory targets with
stylelite.device_tests.remote_bench.bench_devices), checked by stylelite.reports.budgets.budget_check."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from stylelite.benchmark.records import BenchRecord, read_bench_records
from stylelite.cli.options import add_json, add_out
from stylelite.runtime.errors import BudgetError

MODEL_SUFFIXES = (".onnx", ".tflite")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "examples:\n  stylelite budget check bench.jsonl\n"
        "  stylelite budget check --budgets my_budgets.toml bench.jsonl phone.jsonl -o ci/\n"
        "  stylelite budget check student.onnx --clip clip.mp4"
    )
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    c = sub.add_parser("check", help="compare measurements with the budgets; exit 1 on any violation")
    c.add_argument("results", nargs="*", help="JSON lines from `stylelite bench --out`, or model files to measure")
    c.add_argument("--budgets", default=None, help="budget TOML (default: stylelite's reports/budgets.toml)")
    c.add_argument("--clip", default=None, help="video for re-measuring model files given as results")
    c.add_argument("--device", default=None, metavar="NAME|all", help="re-measure on inventory target(s)")
    c.add_argument("--devices", default=None, metavar="TOML", help="device inventory (default: ./devices.toml)")
    add_out(c, default="budget-check", help="folder for junit.xml and summary.md")
    add_json(c, "the checks")


def gather_records(
    results: list[str | Path],
    clip: str | Path | None = None,
    device: str | None = None,
    devices: str | Path | None = None,
    iters: int = 20,
) -> list[BenchRecord]:
    """Records from JSON-lines files, plus fresh measurements of any model files among `results`.

    Args:
        results: JSON-lines files (`stylelite bench --out`) and model files (.onnx, .tflite).
        clip: the video model files are measured on.
        device: measure on these inventory target(s) (a name, comma-separated names, or all) instead of here.
        devices: the device inventory TOML (default: ./devices.toml).
        iters: minimum timed frames per model.

    Raises:
        BudgetError: a results file is missing, or model files came without a clip.
    """
    models = [Path(r) for r in results if Path(r).suffix in MODEL_SUFFIXES]
    files = [Path(r) for r in results if Path(r).suffix not in MODEL_SUFFIXES]
    for p in files:
        if not p.is_file():
            raise BudgetError(f"results file not found: {p}")
    records = read_bench_records(files)
    if not models:
        return records
    if not clip:
        raise BudgetError("re-measuring model files needs --clip VIDEO")
    if device:
        from stylelite.device_tests.inventory import load_inventory, select_devices
        from stylelite.device_tests.remote_bench import bench_devices

        measured, _ = bench_devices(models, clip, select_devices(load_inventory(devices), device), iters=iters)
    else:
        from stylelite.benchmark.host_bench import bench

        measured = bench(models, clip, iters=iters, progress=False).records
    return records + measured


def execute(args: argparse.Namespace) -> int:
    from stylelite.reports.budgets import budget_check, format_checks, load_budgets

    budgets = load_budgets(args.budgets)  # a bad budget file fails before anything is measured
    if not args.results:
        raise BudgetError("give results (JSON lines from `stylelite bench --out`) or model files with --clip")
    records = gather_records(args.results, args.clip, device=args.device, devices=args.devices)
    checks = budget_check(records, budgets, out_dir=args.out)
    if args.json:
        rows = [
            {"device": c.device, "artifact": c.subject, "limit": c.limit, "bound": c.bound, "value": c.value,
             "passed": c.passed, "note": c.note}
            for c in checks
        ]  # fmt: skip
        print(json.dumps(rows, indent=2))
    else:
        print(format_checks(checks))
        if args.out:
            print(f"junit: {args.out}/junit.xml   summary: {args.out}/summary.md")
    return 0 if all(c.passed for c in checks) else 1
