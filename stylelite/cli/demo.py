"""`stylelite demo` -> stylelite.workflows.demo.demo: distil, export, stylize, benchmark and report on built-in
data, in minutes on a laptop CPU."""

from __future__ import annotations

import argparse

from stylelite.cli.options import add_out, add_size


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = "examples:\n  stylelite demo\n  stylelite demo --student mobilegen_s_025 --steps 300"
    add_out(p, default="reports/demo", help="report folder")
    p.add_argument("--runs", default="runs", help="where the distillation run folder goes")
    p.add_argument("--student", default="mobilegen_s_050", help="student to distil")
    p.add_argument("--steps", type=int, default=600, help="distillation steps")
    p.add_argument("--frames", type=int, default=40, help="frames in the built-in clip")
    add_size(p, "--clip-size", default="320x240", help="built-in clip resolution")
    add_size(p, "--latency-size", default="640x480", help="extra resolution to time")
    p.add_argument("--cache-size", type=int, default=192, help="teacher-labelled crops for distillation")
    p.add_argument("--crop", type=int, default=128, help="distillation crop size")


def execute(args: argparse.Namespace) -> int:
    from stylelite.runtime.pipeline import parse_size
    from stylelite.workflows.demo import demo

    demo(
        out=args.out,
        runs=args.runs,
        student=args.student,
        steps=args.steps,
        frames=args.frames,
        clip_size=parse_size(args.clip_size),
        latency_size=args.latency_size,
        cache_size=args.cache_size,
        crop=args.crop,
    )
    return 0
