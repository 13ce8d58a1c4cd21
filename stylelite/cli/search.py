"""`stylelite search` -> stylelite.workflows.student_search.search."""

from __future__ import annotations

import argparse

from stylelite.cli.options import add_json, add_out, add_size, non_negative_int, positive_int


def add_arguments(p: argparse.ArgumentParser) -> None:
    from stylelite.workflows.student_search import SearchConfig

    d = SearchConfig()
    p.epilog = (
        "examples:\n  stylelite search --labels labels/ --budget-ms 33\n"
        "  stylelite search --candidates shufflegen_t_038 shufflegen_s_050 mobilegen_s_050 --steps 300 "
        "--clip carphone --size 320x240\n"
        "  stylelite search --labels labels/ --device jetson --devices devices.toml --budget-ms 20 -o search/jetson"
    )
    p.add_argument("--teacher", default=d.teacher, help="teacher (name.tag for shipped weights)")
    p.add_argument("--teacher-checkpoint", default=None, help="teacher weights file")
    p.add_argument("--random-teacher", action="store_true", help="allow a teacher without weights (tests only)")
    p.add_argument("--candidates", nargs="+", default=list(d.candidates), metavar="STUDENT", help="students to try")
    p.add_argument(
        "--labels", default=None, metavar="DIR", help="a label store shared by every candidate (distill --labels)"
    )
    p.add_argument("--label-crops", type=positive_int, default=d.label_crops, help="crops in the label store")
    p.add_argument("--crop", type=positive_int, default=d.crop, help="training crop size")
    p.add_argument("--steps", type=positive_int, default=d.steps, help="distillation steps per candidate")
    p.add_argument("--batch", type=positive_int, default=d.batch, help="batch size")
    p.add_argument("--lr", type=float, default=d.lr, help="learning rate")
    p.add_argument("--data", action="append", default=None, help="training data (distill --data) [world]")
    p.add_argument(
        "--clip", default=d.clip, help="held-out clip: a video file or bikes | carphone | bigbuckbunny (data extra)"
    )
    add_size(p, "--size", default="640x480", help="deployment size: every candidate is timed at it")
    p.add_argument("--frames", type=positive_int, default=d.frames, help="clip frames used")
    p.add_argument("--iters", type=positive_int, default=d.iters, help="minimum timed frames per candidate")
    p.add_argument("--budget-ms", type=float, default=None, help="latency budget of the pick (ms per frame)")
    p.add_argument("--device", default=None, metavar="NAME", help="inventory target to time on (default: here)")
    p.add_argument("--devices", default=None, metavar="TOML", help="device inventory (default: ./devices.toml)")
    p.add_argument("--threads", type=non_negative_int, default=0, help="training and inference threads (0: all)")
    p.add_argument("--seed", type=non_negative_int, default=0, help="seed of every candidate's run")
    add_out(p, default="search", help="folder for runs, exports, search.json/md and pareto.png")
    add_json(p, "the search summary")


def execute(args: argparse.Namespace) -> int:
    import json
    from dataclasses import fields

    from stylelite.reports.pareto import pareto_table
    from stylelite.runtime.pipeline import parse_size
    from stylelite.workflows.student_search import SearchConfig, read_search, search

    # every option named as a SearchConfig field is that field; three need converting
    given = {f.name: getattr(args, f.name) for f in fields(SearchConfig) if hasattr(args, f.name)}
    given.update(candidates=tuple(args.candidates), data=tuple(args.data or ("world",)), size=parse_size(args.size))
    config = SearchConfig(**given)
    result = search(config, out=args.out, progress=not args.json)
    if args.json:
        print(json.dumps(read_search(result.out), indent=2))
        return 0
    print(pareto_table([p.to_dict() for p in result.points]))
    picked = result.picked
    if picked is not None:
        figures = f"{picked.latency_ms:.1f} ms, {picked.fidelity_psnr_db:.2f} dB"
        print(f"pick: {picked.student} ({figures}) -> {picked.artifact}")
    print(f"written: {result.out / 'search.md'}, {result.out / 'search.json'}, {result.out / 'pareto.png'}")
    return 0
