"""`stylelite budget check` and `stylelite report`."""

from __future__ import annotations

import argparse
import json


def add_arguments(name: str, p: argparse.ArgumentParser) -> None:
    if name == "budget":
        p.epilog = (
            "examples:\n  stylelite budget check bench.jsonl\n"
            "  stylelite budget check --budgets my_budgets.toml bench.jsonl phone.jsonl --out-dir ci/\n"
            "  stylelite budget check student.onnx --clip clip.mp4"
        )
        sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
        c = sub.add_parser("check", help="compare measurements with the budgets; exit 1 on any violation")
        c.add_argument("results", nargs="*", help="JSON lines from `stylelite bench --out`, or model files to measure")
        c.add_argument("--budgets", default=None, help="budget TOML (default: stylelite's reports/budgets.toml)")
        c.add_argument("--clip", default=None, help="video for re-measuring model files given as results")
        c.add_argument("--device", default=None, metavar="NAME|all", help="re-measure on inventory target(s)")
        c.add_argument("--devices", default=None, metavar="TOML", help="device inventory (default: ./devices.toml)")
        c.add_argument("--out-dir", default="budget-check", help="where junit.xml and summary.md go")
        c.add_argument("--json", action="store_true", help="print the checks as JSON")
    else:
        p.epilog = (
            "examples:\n  stylelite report bench.jsonl -o reports/latest\n"
            "  stylelite report bench.jsonl phone.jsonl -o reports/all --clip clip.mp4"
        )
        p.add_argument("results", nargs="+", help="JSON lines from `stylelite bench --out`")
        p.add_argument("-o", "--output", required=True, help="folder for report.md, report.html and plots")
        p.add_argument("--title", default="stylelite benchmark report", help="report heading")
        p.add_argument("--clip", default=None, help="also render side-by-side frames of this clip (runs the artifacts)")


def execute(name: str, args: argparse.Namespace) -> int:
    if name == "report":
        from reports.records_report import write_records_report
        from runtime.files import read_jsonl

        records = [r for path in args.results for r in read_jsonl(path)]
        print(f"report: {write_records_report(args.output, records, args.title, clip=args.clip)}")
        return 0

    from reports.budgets import budget_check, format_checks

    checks = budget_check(
        args.results, args.budgets, clip=args.clip, device=args.device, devices=args.devices, out_dir=args.out_dir
    )
    if args.json:
        rows = [
            {"device": c.device, "artifact": c.subject, "limit": c.limit, "bound": c.bound, "value": c.value,
             "passed": c.passed, "note": c.note}
            for c in checks
        ]  # fmt: skip
        print(json.dumps(rows, indent=2))
    else:
        print(format_checks(checks))
        if args.out_dir:
            print(f"junit: {args.out_dir}/junit.xml   summary: {args.out_dir}/summary.md")
    return 0 if all(c.passed for c in checks) else 1
