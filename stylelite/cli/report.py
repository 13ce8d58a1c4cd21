"""`stylelite report` -> stylelite.reports.report.write_report, fed with the records of JSON-lines files
(stylelite.benchmark.records.read_bench_records); with --clip, the artifacts that still exist stylize
the clip here first, for side-by-side frames."""

from __future__ import annotations

import argparse
from pathlib import Path

from stylelite.benchmark.records import BenchRecord, BenchRun
from stylelite.cli.options import add_out

SIDE_BY_SIDE_FRAMES = 24


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "examples:\n  stylelite report bench.jsonl -o reports/latest\n"
        "  stylelite report bench.jsonl phone.jsonl -o reports/all --clip clip.mp4"
    )
    p.add_argument("results", nargs="+", help="JSON lines from `stylelite bench --out`")
    add_out(p, required=True, help="folder for report.md, report.html and plots")
    p.add_argument("--title", default="stylelite benchmark report", help="report heading")
    p.add_argument("--clip", default=None, help="also render side-by-side frames of this clip (runs the artifacts)")


def stylize_clip(records: list[BenchRecord], clip: str | Path) -> tuple[BenchRun, dict[str, str]]:
    """The records with the clip's first frames and each measured ONNX artifact's outputs on them.

    Returns:
        The run to report and its side-by-side columns (artifact stem -> artifact path); artifacts
        that no longer exist, or that failed when measured, are left out.
    """
    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.video import read_video

    frames, fps = read_video(clip, SIDE_BY_SIDE_FRAMES)
    outputs = {}
    for artifact in dict.fromkeys(r.artifact for r in records if r.status.startswith("ok")):
        if Path(artifact).is_file() and Path(artifact).suffix == ".onnx":
            engine = load_engine(artifact)
            outputs[artifact] = [engine.stylize(f) for f in frames]
    run = BenchRun(records, input_frames=frames, outputs=outputs, fps_source=fps)
    return run, {Path(a).stem: a for a in outputs}


def execute(args: argparse.Namespace) -> int:
    from stylelite.benchmark.records import read_bench_records
    from stylelite.reports.report import write_report

    records = read_bench_records(args.results)
    run, columns = stylize_clip(records, args.clip) if args.clip else (BenchRun(records), None)
    print(f"report: {write_report(args.out, run, args.title, columns=columns)}")
    return 0
