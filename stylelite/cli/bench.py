"""`stylelite bench` -> stylelite.benchmark.host_bench.bench (this machine),
stylelite.device_tests.remote_bench.bench_devices (inventory targets) and
stylelite.benchmark.pipeline_bench.bench_pipeline (--pipeline); --report -> stylelite.reports.report.write_report."""

from __future__ import annotations

import argparse
import dataclasses
import json

from stylelite.cli.options import (
    add_engine_options,
    add_json,
    add_out,
    add_size,
    engine_options,
    non_negative_int,
    positive_int,
    prepare_engines,
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "examples:\n  stylelite bench student.onnx teacher.onnx --clip clip.mp4 --reference teacher.onnx\n"
        "  stylelite bench student.onnx --clip clip.mp4 --size 640x480 --json\n"
        "  stylelite bench student.onnx --clip clip.mp4 --device all --devices devices.toml -o bench.jsonl\n"
        "  stylelite bench student.onnx teacher.onnx --clip real --reference teacher.onnx --max-frames 40\n"
        "  stylelite bench student.onnx teacher.onnx --clip textured --reference teacher.onnx --max-frames 40\n"
        "  stylelite bench student.onnx --clip clip.mp4 --pipeline                 # 854x480 and 1280x720"
    )
    p.add_argument("models", nargs="+", help="models (.onnx, .tflite, or checkpoints), measured side by side")
    p.add_argument(
        "--clip",
        action="append",
        required=True,
        help="video file the models stylize (flicker, fidelity, latency); repeat for several clips, one row each; "
        "'real': the real clips of the data extra (bikes, carphone, bigbuckbunny); 'textured': held-out clips with "
        "dynamic texture from Debian's opencv-doc (foliage, pedestrians, film)",
    )
    p.add_argument("--reference", default=None, help="model whose outputs define fidelity (e.g. the teacher)")
    p.add_argument("--warmup", type=non_negative_int, default=2, help="untimed runs first")
    p.add_argument("--iters", type=positive_int, default=20, help="minimum timed frames")
    p.add_argument("--max-frames", type=positive_int, default=None, help="use at most this many clip frames")
    add_size(
        p,
        "--process-size",
        default=None,
        help="resize the clip's frames to this size for every model (a static-size TFLite export needs its size)",
    )
    add_size(p, "--size", action="append", default=[], help="also time at this resolution")
    p.add_argument(
        "--min-seconds", type=float, default=2.0, help="time each extra resolution at least this long (more samples)"
    )
    add_out(p, help="append the records as JSON lines to this file")
    p.add_argument("--report", default=None, metavar="DIR", help="also write report.md/json and plots here")
    add_json(p, "the records (without per-frame lists)")
    p.add_argument(
        "--device",
        default=None,
        metavar="NAME|all",
        help="run on inventory target(s) (comma-separated, or all) instead of in this process",
    )
    p.add_argument("--devices", default=None, metavar="TOML", help="device inventory (default: ./devices.toml)")
    p.add_argument(
        "--pipeline",
        action="store_true",
        help="model-only fps against end-to-end fps (decode, stylize, encode) in offline and live modes, and "
        "live capture-to-output latency; sizes from --size (default 854x480 and 1280x720), 40 frames (--max-frames), "
        "5 alternating rounds",
    )
    p.add_argument(
        "--no-ceiling",
        dest="ceiling",
        action="store_false",
        help="skip the dense-conv ceiling (by default each format and precision's reference is timed in the same "
        "run, and each model gets its achieved GMAC/s and its share of that ceiling)",
    )
    p.add_argument(
        "--workers",
        dest="workers_list",
        type=_workers_list,
        default=[1],
        metavar="N[,N...]",
        help="with --pipeline: run N copies of the model on N frames at once, each with --threads / N threads; "
        "several counts (1,2) are measured one after the other in the same run (default 1)",
    )
    add_engine_options(p)


def _workers_list(text: str) -> list[int]:
    try:
        counts = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        counts = []
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give worker counts of 1 or more, e.g. 2 or 1,2")
    return list(dict.fromkeys(counts))


def _execute_pipeline(args: argparse.Namespace) -> int:
    from stylelite.benchmark.pipeline_bench import DEFAULT_SIZES, bench_pipeline, format_pipeline_table
    from stylelite.runtime.pipeline import parse_size

    sizes = [parse_size(s) for s in args.size] or list(DEFAULT_SIZES)
    records = []
    for model, workers in ((m, w) for m in args.models for w in args.workers_list):
        records += bench_pipeline(
            model,
            args.clip[0],
            sizes,
            max_frames=args.max_frames or 40,
            engine_options=dataclasses.replace(engine_options(args), workers=workers),
            out=args.out,
            progress=not args.json,
            ceiling=args.ceiling,
        )
    print(json.dumps([r.to_dict() for r in records], indent=2) if args.json else format_pipeline_table(records))
    return 0


# per-frame lists stay in the JSON lines (--out) and out of the printed summary
_LONG_FIELDS = ("flicker_per_frame", "latency_samples_ms")


def _brief(record) -> dict:
    return {k: v for k, v in record.to_dict().items() if k not in _LONG_FIELDS}


def _execute_on_devices(args: argparse.Namespace) -> int:
    from stylelite.device_tests.inventory import load_inventory, select_devices
    from stylelite.device_tests.remote_bench import bench_devices

    devices = select_devices(load_inventory(args.devices), args.device)
    records, host = bench_devices(
        args.models,
        args.clip[0],
        devices,
        reference=args.reference,
        warmup=args.warmup,
        iters=args.iters,
        max_frames=args.max_frames,
        out=args.out,
    )
    from stylelite.benchmark.records import BenchRun

    _emit(args, records, BenchRun(records, flicker_floor=host.floor, floor_per_frame=host.floor_per_frame))
    _refuse_failed(records, "measurements")
    return 0 if all(r.status.startswith(("ok", "skipped")) for r in records) else 1


def _emit(args: argparse.Namespace, records: list, run, columns: dict | None = None) -> None:
    """The report folder (--report), then the records as JSON (--json) or as the bench table."""
    from stylelite.benchmark.host_bench import format_table

    if args.report:
        from stylelite.reports.report import write_report

        path = write_report(args.report, run, "stylelite bench", columns=columns)
        if not args.json:
            print(f"report: {path}")
    if args.json:
        print(json.dumps([_brief(r) for r in records], indent=2))
    else:
        print(format_table(records))


def _refuse_options_that_do_not_apply(args: argparse.Namespace) -> None:
    """--process-size times this machine's models; devices take their engine settings from devices.toml."""
    from stylelite.runtime.corpus import CLIP_SETS
    from stylelite.runtime.engines.options import OPTION_FLAGS
    from stylelite.runtime.errors import ConfigError

    if len(args.clip) > 1 or args.clip[0] in CLIP_SETS:
        if args.pipeline or args.device:
            raise ConfigError(
                f"several clips (or --clip {args.clip[0] if args.clip[0] in CLIP_SETS else 'real'}) apply to the "
                "benchmark on this machine; give one clip"
            )
    if args.process_size and (args.pipeline or args.device):
        raise ConfigError("--process-size applies to the benchmark on this machine (not with --pipeline or --device)")
    if args.workers_list != [1] and not args.pipeline:
        raise ConfigError(
            "--workers applies to --pipeline (model copies running video frames side by side); the model benchmark "
            "times one frame at a time: add --pipeline --clip CLIP, or drop --workers"
        )
    options = engine_options(args)
    given = [OPTION_FLAGS[k] for k in options.given()] + (["--threads"] if options.threads else [])
    if args.device and given:
        raise ConfigError(
            f"{', '.join(given)}: engine options apply on this machine; a --device target runs its own engines"
        )


def execute(args: argparse.Namespace) -> int:
    from stylelite.benchmark.host_bench import bench
    from stylelite.runtime.pipeline import parse_size

    prepare_engines(args.models)
    _refuse_options_that_do_not_apply(args)
    if args.pipeline:
        return _execute_pipeline(args)
    if args.device:
        return _execute_on_devices(args)
    clips = _clips(args.clip)
    runs = [
        bench(
            args.models,
            clip,
            reference=args.reference,
            warmup=args.warmup,
            iters=args.iters,
            engine_options=engine_options(args),
            max_frames=args.max_frames,
            process_size=parse_size(args.process_size),
            latency_sizes=args.size,
            min_seconds=args.min_seconds,
            out=args.out,
            progress=not args.json,
            ceiling=args.ceiling,
        )
        for clip in clips
    ]
    records = [r for run in runs for r in run.records]
    from stylelite.benchmark.records import BenchRun

    run = runs[0] if len(runs) == 1 else BenchRun(records)  # several clips: the records, no frames
    _emit(args, records, run, columns={r.model: r.artifact for r in records if r.artifact in run.outputs})
    _refuse_failed(records, "models")
    return 0


def _refuse_failed(records: list, what: str) -> None:
    """After the table and the records are out: one line saying how many `what` failed, and why the first did."""
    from stylelite.runtime.errors import InputError

    failed = [r for r in records if r.status.startswith("error")]
    if failed:
        kept = " (the others were measured and kept)" if len(failed) < len(records) else ""
        raise InputError(
            f"{len(failed)} of {len(records)} {what} failed{kept}: {failed[0].status.removeprefix('error: ')}"
        )


def _clips(given: list[str]) -> list[str]:
    """The clips `--clip` names; `real` stands for the real clips of the data extra, `textured` for the held-out
    textured clips (runtime.corpus.CLIP_SETS)."""
    from pathlib import Path

    from stylelite.runtime.corpus import CLIP_SETS, clip_paths
    from stylelite.runtime.errors import InputError

    clips: list[str] = []
    for value in given:
        if value in CLIP_SETS:
            clips += [str(p) for p in clip_paths(clip_set=value).values()]
        elif not Path(value).is_file():  # a mistyped set name reads as a missing file: name the sets
            sets = ", ".join(CLIP_SETS)
            raise InputError(f"video not found: {value!r} (--clip takes a video file or a clip set: {sets})")
        else:
            clips.append(value)
    return clips
