"""The runner that executes on a target: stylize frames with the runtime, print one JSON line.

Needs only numpy, OpenCV and an inference engine (no torch); it is copied to the board inside
the runner bundle (see device_tests/bundle.py, which also packs the benchmark modules it times with)
and run as

    PYTHONPATH=stylelite_runner.zip python3 -m stylelite.device_tests.remote_runner facts
    PYTHONPATH=stylelite_runner.zip python3 -m stylelite.device_tests.remote_runner bench MODEL FRAMES.npy OUT.npy

`bench` times every frame of FRAMES.npy (uint8 [N,H,W,3]), loops it until `--iters` timed runs,
saves the stylized frames to OUT.npy for the host to score (flicker, parity, fidelity), and
prints latency percentiles, the per-frame latencies (for histograms), fps and memory.
"""

from __future__ import annotations

import argparse
import json
import sys

from stylelite.benchmark.timing import time_calls


def _facts() -> dict:
    from stylelite.benchmark.facts import board_facts, local_facts

    return {**local_facts(), **board_facts()}


def _bench(args: argparse.Namespace) -> dict:
    import numpy as np

    from stylelite.benchmark.memory import current_rss_mb, peak_rss_mb, reset_peak_rss
    from stylelite.runtime.engines import load_engine

    frames = np.load(args.frames)
    reset_peak_rss()
    base = current_rss_mb()
    engine = load_engine(args.model, threads=args.threads)
    timing = time_calls(
        lambda i: engine.stylize(frames[i % len(frames)]),
        warmup=args.warmup,
        min_iters=max(args.iters, len(frames)),
        keep=len(frames),
        # a recurrent model starts the clip from a fresh state, as on the host
        after_warmup=engine.reset,
    )
    np.save(args.out, np.stack(timing.kept))
    meta = engine.meta
    return {
        "engine": engine.name,
        "model": meta.model,
        "precision": meta.precision,
        "params": meta.params,
        "gmacs_256": meta.gmacs_256,
        "latency_ms": timing.latency_ms,
        "latency_samples_ms": timing.samples_ms,
        "fps": timing.fps,
        "runtime_memory_mb": round(base, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "model_memory_mb": round(peak_rss_mb() - base, 1),
    }


def main(argv: list[str] | None = None) -> int:
    """`facts` or `bench ...`: print the answer as one JSON line (an error as {"error": ...}, exit 1)."""
    p = argparse.ArgumentParser(prog="python -m stylelite.device_tests.remote_runner")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("facts")
    b = sub.add_parser("bench")
    b.add_argument("model")
    b.add_argument("frames")
    b.add_argument("out")
    b.add_argument("--warmup", type=int, default=2)
    b.add_argument("--iters", type=int, default=20)
    b.add_argument("--threads", type=int, default=0)
    args = p.parse_args(argv)
    try:
        result = _facts() if args.cmd == "facts" else _bench(args)
    except Exception as exc:  # reported to the host as one JSON line, which raises it as a DeviceError
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
