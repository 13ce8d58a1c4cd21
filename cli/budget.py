"""`stylelite budget check` -> stylelite.reports.budgets.budget_check."""

from __future__ import annotations

import argparse
import json

from stylelite.cli.options import add_json, add_out


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


def execute(args: argparse.Namespace) -> int:
    from stylelite.reports.budgets import budget_check, format_checks

    checks = budget_check(
        args.results, args.budgets, clip=args.clip, device=args.device, devices=args.devices, out_dir=args.out
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
        if args.out:
            print(f"junit: {args.out}/junit.xml   summary: {args.out}/summary.md")
    return 0 if all(c.passed for c in checks) else 1
