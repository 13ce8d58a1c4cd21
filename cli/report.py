"""`stylelite report` -> stylelite.reports.records_report.write_records_report."""

from __future__ import annotations

import argparse

from stylelite.cli.options import add_out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "examples:\n  stylelite report bench.jsonl -o reports/latest\n"
        "  stylelite report bench.jsonl phone.jsonl -o reports/all --clip clip.mp4"
    )
    p.add_argument("results", nargs="+", help="JSON lines from `stylelite bench --out`")
    add_out(p, required=True, help="folder for report.md, report.html and plots")
    p.add_argument("--title", default="stylelite benchmark report", help="report heading")
    p.add_argument("--clip", default=None, help="also render side-by-side frames of this clip (runs the artifacts)")


def execute(args: argparse.Namespace) -> int:
    from stylelite.reports.records_report import write_records_report
    from stylelite.runtime.files import read_jsonl

    records = [r for path in args.results for r in read_jsonl(path)]
    print(f"report: {write_records_report(args.out, records, args.title, clip=args.clip)}")
    return 0
