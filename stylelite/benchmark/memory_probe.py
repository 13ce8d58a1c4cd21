"""Memory of one model, measured in a fresh process.

A benchmark process that has already run a big teacher keeps that memory mapped, so a small
student measured after it seems to cost nothing. Here a child process imports the runtime,
notes its resident memory, loads the artifact, stylizes a few frames, and reports the rise of
its peak (VmHWM) over that baseline: what the model costs on top of the runtime itself.

Run as `python -m stylelite.benchmark.memory_probe MODEL --size WxH --frames N` (prints one JSON line).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from stylelite.runtime.errors import DeviceError


def model_memory_mb(model: str | Path, width: int, height: int, frames: int = 3, threads: int = 0) -> dict:
    """{"runtime_mb", "peak_mb", "model_mb"} of `model` stylizing `frames` WxH frames in a child process."""
    cmd = [sys.executable, "-m", "stylelite.benchmark.memory_probe", str(model), "--size", f"{width}x{height}"]
    cmd += ["--frames", str(frames), "--threads", str(threads)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise DeviceError(f"memory probe of {Path(model).name} failed: {last[:200]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    """The child process: load the model, stylize a few frames, print the memory figures as one JSON line."""
    p = argparse.ArgumentParser(prog="python -m stylelite.benchmark.memory_probe")
    p.add_argument("model")
    p.add_argument("--size", default="320x240")
    p.add_argument("--frames", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    args = p.parse_args(argv)

    import numpy as np

    from stylelite.benchmark.memory import current_rss_mb, peak_rss_mb, reset_peak_rss
    from stylelite.runtime.engines import load_engine

    w, h = (int(v) for v in args.size.split("x"))
    frame = np.random.default_rng(0).integers(0, 256, (h, w, 3), dtype=np.uint8)
    import onnxruntime  # noqa: F401  (part of the baseline: the stylelite.runtime, not the model)

    reset_peak_rss()
    base = current_rss_mb()
    engine = load_engine(args.model, threads=args.threads)
    for _ in range(args.frames):
        engine.stylize(frame)
    peak = peak_rss_mb()
    print(json.dumps({"runtime_mb": round(base, 1), "peak_mb": round(peak, 1), "model_mb": round(peak - base, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
