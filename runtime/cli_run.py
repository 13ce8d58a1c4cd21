"""`stylelite run` (runtime only: works where torch is not installed)."""

from __future__ import annotations

import argparse


def add_arguments(name: str, p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "examples:\n  stylelite run student.onnx -i clip.mp4 -o stylized.mp4\n"
        "  stylelite run student.onnx -i photos/ -o stylized/\n"
        "  stylelite run student.onnx -i photo.jpg -o cartoon.png\n"
        "  stylelite run teacher.onnx -i clip.mp4 -o steady.mp4 --stabilize 0.5"
    )
    p.add_argument("model", help="exported model (.onnx); its metadata says how to feed it")
    p.add_argument("-i", "--input", required=True, help="video file, image, or folder of images")
    p.add_argument("-o", "--output", required=True, help="video file, image, or folder (matching the input)")
    p.add_argument("--threads", type=int, default=0, help="inference threads (0: engine default)")
    p.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument(
        "--stabilize",
        type=float,
        default=0.0,
        metavar="S",
        help="video only: blend the flow-warped previous output in where the flow is reliable, strength S in "
        "[0, 1] (0: off; 0.5: a good start; costs one DIS ultrafast flow per frame)",
    )


def execute(name: str, args: argparse.Namespace) -> int:
    from runtime.stylize import run

    res = run(
        args.model,
        args.input,
        args.output,
        threads=args.threads,
        max_frames=args.max_frames,
        progress=not args.no_progress,
        stabilize=args.stabilize,
    )
    flow = "" if res.flow_ms_per_frame is None else f", stabilize flow {res.flow_ms_per_frame:.1f} ms/frame"
    print(f"wrote {res.output} ({res.frames} frame(s), {res.fps:.1f} frames/s end to end{flow})")
    return 0
