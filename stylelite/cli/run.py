"""`stylelite run` -> stylelite.runtime.stylize.run (runtime only: works where torch is not installed)."""

from __future__ import annotations

import argparse
import json

from stylelite.cli.options import (
    add_engine_options,
    add_json,
    add_out,
    add_size,
    add_workers,
    engine_options,
    non_negative_int,
    positive_int,
    prepare_engines,
)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "examples:\n  stylelite run student.onnx -i clip.mp4 -o stylized.mp4          # audio kept\n"
        "  stylelite run student.onnx -i photos/ -o stylized/\n"
        "  stylelite run student.onnx -i photo.jpg -o cartoon.png\n"
        "  stylelite run student.onnx -i 0 -o webcam.mp4 --mode live          # camera 0; Ctrl+C stops\n"
        "  stylelite run student.onnx -i rtsp://127.0.0.1:8554/cam -o cam.mp4 --mode live\n"
        "  stylelite run teacher.onnx -i clip.mp4 -o small.mp4 --process-size 320x240\n"
        "  stylelite run multistyle.onnx -i clip.mp4 -o mix.mp4 --style candy --blend-with mosaic --mix 0.3\n"
        "  stylelite run teacher.onnx -i clip.mp4 -o steady.mp4 --stabilize 0.5"
    )
    p.add_argument("model", help="exported model (.onnx, .tflite) or a checkpoint (.safetensors, .pth with --arch)")
    p.add_argument(
        "-i",
        "--input",
        required=True,
        help="video file, image, folder, camera index (0) or stream URL (rtsp://, http://)",
    )
    add_out(p, help="video file, image, or folder (optional with --show)")
    p.add_argument("--show", action="store_true", help="also show the stylized frames in a window (q or Esc stops)")
    p.add_argument(
        "--mode",
        choices=("offline", "live"),
        default="offline",
        help="offline: every frame, in order; live: bounded latency, the newest frame wins and drops are counted",
    )
    p.add_argument("--realtime", action="store_true", help="play a file input at its own frame rate, as a camera would")
    add_size(
        p,
        "--process-size",
        default=None,
        help="run the model at this size and upscale the output back (faster on big frames; fixed-size models)",
    )
    p.add_argument("--style", default=None, help="style to render (style-conditioned models; see `--json` output)")
    p.add_argument("--blend-with", default=None, metavar="STYLE", help="a second style to mix in")
    p.add_argument("--mix", type=float, default=0.5, help="share of --blend-with in [0, 1]")
    p.add_argument("--strength", type=float, default=1.0, help="style strength in [0, 1] (0: the input unchanged)")
    p.add_argument("--no-audio", action="store_true", help="do not copy the input's audio track into the output")
    p.add_argument(
        "--stage-priority",
        choices=("auto", "background", "normal"),
        default="auto",
        help="CPU priority of decoding, encoding and the other non-model stages; background: only the cycles "
        "the model leaves (Linux), back to normal if other programs starve them; auto: background offline, "
        "normal live",
    )
    p.add_argument("--max-frames", type=positive_int, default=None, help="stop after this many frames")
    p.add_argument(
        "--memory-limit",
        type=non_negative_int,
        default=None,
        metavar="MB",
        help="memory one frame may take in the model (estimated); a larger frame stops the run before it runs, "
        "with a --process-size that fits (default: half the memory available; 0: no check)",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    add_json(p, "the result (with per-stage timings)")
    p.add_argument(
        "--stabilize",
        type=float,
        default=0.0,
        metavar="S",
        help="video only: blend the flow-warped previous output in where the flow is reliable, strength S in "
        "[0, 1] (0: off; 0.5: a good start; costs one DIS ultrafast flow per frame)",
    )
    add_workers(p)
    add_engine_options(p)


def execute(args: argparse.Namespace) -> int:
    import sys

    from stylelite.runtime.pipeline import parse_size
    from stylelite.runtime.style_control import StyleControl
    from stylelite.runtime.stylize import RunConfig, Terminated, run, sigterm_as_interrupt

    prepare_engines([args.model])
    config = RunConfig(
        mode=args.mode,
        process_size=parse_size(args.process_size),
        stabilize=args.stabilize,
        max_frames=args.max_frames,
        realtime=args.realtime,
        audio=not args.no_audio,
        show=args.show,
        progress=not args.no_progress,
        stage_priority=args.stage_priority,
        memory_limit_mb=args.memory_limit,
    )
    control = StyleControl(args.style, args.blend_with, args.mix, args.strength)
    with sigterm_as_interrupt():  # SIGTERM (timeout, systemd, docker stop) ends the run as Ctrl+C does
        try:
            res = run(
                args.model, args.input, args.out, config=config, control=control, engine_options=engine_options(args)
            )
        except Terminated:  # before the first frame: nothing was written
            print("stylelite run: terminated before any frame was written", file=sys.stderr)
            return 143
    if args.json:
        print(json.dumps({**{k: v for k, v in vars(res).items() if k != "output"}, "output": str(res.output)}))
    else:
        extras = []
        if res.audio:
            extras.append(f"{res.audio} audio copied")
        if args.mode == "live":
            extras.append(f"{res.dropped} dropped, latency p50 {res.stats['latency_ms_p50']:.0f} ms")
        if res.stats.get("promoted_at_frame") is not None:
            extras.append("decode/encode moved to normal priority: other programs kept them waiting")
        if res.flow_ms_per_frame is not None:
            extras.append(f"stabilize flow {res.flow_ms_per_frame:.1f} ms/frame")
        where = res.output if res.output is not None else "the window"
        tail = f", {', '.join(extras)}" if extras else ""
        print(f"wrote {where} ({res.frames} frame(s), {res.fps:.1f} frames/s end to end{tail})")
    code = 0
    if res.stopped:
        print(
            f"stylelite run: stopped early: {res.stopped}; the {res.frames} frame(s) before it were written",
            file=sys.stderr,
        )
        code = {"interrupted": 130, "terminated": 143}.get(res.stopped, 0)
    if res.skipped:  # the good files were written; the bad ones are listed, and the exit says something was wrong
        print(
            f"stylelite run: error: skipped {len(res.skipped)} unreadable file(s): {', '.join(res.skipped)}",
            file=sys.stderr,
        )
        code = code or 1
    return code
