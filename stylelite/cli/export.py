"""`stylelite export` -> stylelite.export.api.export_model."""

from __future__ import annotations

import argparse

from stylelite.cli.options import add_out


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "examples:\n"
        "  stylelite export runs/00001-mobilegen_s_050-cyclegan_r9_bn_cartoon/student.safetensors -o student.onnx\n"
        "  stylelite export cyclegan_r9_bn.cartoon -o teacher.onnx\n"
        "  stylelite export cyclegan_r9 --checkpoint horse2zebra.pth -o horse2zebra.onnx\n"
        "  stylelite export student.safetensors --precision fp16 -o student_fp16.onnx\n"
        "  stylelite export student.safetensors --int8 --calib clip.mp4 -o student_int8.onnx --target xnnpack\n"
        "  stylelite export student.safetensors --precision auto --calib clip.mp4 -o student_auto.onnx\n"
        "  stylelite export student.safetensors --format tflite --static-size 256 -o student.tflite\n"
        "  stylelite export other.onnx --card input_range=0,255 --card output_range=0,255 -o other_stamped.onnx\n"
        "  stylelite export student.safetensors --format tflite --int8 --calib clip.mp4 --static-size 256 "
        "--tflite-io uint8"
    )
    p.add_argument(
        "model", help="registered name (mobilegen_s_050, cyclegan_r9_bn.cartoon) or a stylelite weights file"
    )
    add_out(p, help="artifact path (default: <model>.<format>)")
    p.add_argument("--checkpoint", default=None, help="weights for a named architecture (.pth/.safetensors)")
    p.add_argument(
        "--card",
        action="append",
        default=[],
        metavar="TOML|KEY=VALUE",
        help="MODEL is an ONNX/TFLite file stylelite did not make: write a copy with stylelite's metadata "
        "(input_range=0,255 output_range=0,255 layout=NHWC color=BGR stride=8, or a TOML card), verified "
        "against the original, so run/bench/serve can play it",
    )
    p.add_argument(
        "--restamp",
        action="store_true",
        help="with --card: replace the stylelite metadata MODEL already carries (refused without it)",
    )
    p.add_argument(
        "--key-map",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="rename the checkpoint's key components (a fork's 'block=conv_block'; 'netG.=' drops a prefix); "
        'repeat, or give a TOML file of "OLD" = "NEW" lines',
    )
    _add_conversion_arguments(p)


def _add_conversion_arguments(p: argparse.ArgumentParser) -> None:
    """Format, precision and the options of each conversion."""
    from stylelite.export.formats import FORMATS, PRECISIONS
    from stylelite.export.onnx2tflite import TFLITE_IO
    from stylelite.export.onnx_uint8_io import ONNX_IO
    from stylelite.export.targets import TARGETS

    p.add_argument("--format", default="onnx", choices=FORMATS)
    p.add_argument(
        "--precision",
        default="fp32",
        choices=PRECISIONS,
        help="fp16: half weights/activations; int8: QDQ (--calib); auto: int8 on the convs it speeds up on "
        "this machine, measured layer by layer, the rest float (ONNX, --calib)",
    )
    p.add_argument("--int8", action="store_true", help="shorthand for --precision int8")
    p.add_argument(
        "--calib", default=None, metavar="DIR_OR_VIDEO", help="int8 calibration: image folder or video (real frames)"
    )
    p.add_argument(
        "--target", default=None, choices=TARGETS, help="list the ops this delegate/engine would not run natively"
    )
    p.add_argument("--no-simplify", action="store_true", help="keep the exporter's graph (no onnxslim pass)")
    p.add_argument(
        "--static-size",
        default=None,
        metavar="N|WxH",
        help="fixed input instead of dynamic H/W: N x N, or the camera's WxH (640x480)",
    )
    p.add_argument("--dynamo", action="store_true", help="use the torch.export-based ONNX exporter")
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        metavar="N",
        help="--precision auto: time the layers with N inference threads, the deployment's (0: onnxruntime's default)",
    )
    p.add_argument("--verify-on", default=None, metavar="VIDEO", help="also verify on frames of this video")
    p.add_argument(
        "--no-equalize",
        action="store_true",
        help="int8: quantize the weights as trained, without equalizing the channel ranges first (for ablations)",
    )
    p.add_argument(
        "--tflite-io",
        default="int8",
        choices=TFLITE_IO,
        help="TFLite int8: input/output tensor type (scale/zero-point are recorded in the metadata)",
    )
    p.add_argument(
        "--onnx-io",
        default="float32",
        choices=ONNX_IO,
        help="ONNX int8: uint8 takes and returns the frame's bytes (NHWC) as decoded, no float conversions (students "
        "whose int8 pixels are exact uint8 steps: ShuffleGen)",
    )


def execute(args: argparse.Namespace) -> int:
    from stylelite.export.api import export_model
    from stylelite.runtime.errors import ConfigError

    if args.int8 and args.precision not in ("fp32", "int8"):
        raise ConfigError(f"--int8 and --precision {args.precision} disagree; give one of them")
    if args.card:
        return _stamp(args)
    if args.restamp:
        raise ConfigError("--restamp replaces the metadata of a graph stamped with --card: add --card")
    frames = None
    if args.verify_on:
        from stylelite.runtime.video import read_video

        frames = read_video(args.verify_on, max_frames=4)[0]
    res = export_model(
        args.model,
        args.out,
        checkpoint=args.checkpoint,
        format=args.format,
        precision="int8" if args.int8 else args.precision,
        dynamic=args.static_size is None,
        dynamo=args.dynamo,
        sample_size=static_size(args.static_size) or 256,
        verify_frames=frames,
        calib=args.calib,
        target=args.target,
        simplify=not args.no_simplify,
        tflite_io=args.tflite_io,
        onnx_io=args.onnx_io,
        threads=args.threads,
        equalize=not args.no_equalize,
        key_map=tuple(args.key_map),
    )
    v = res.verification
    print(
        f"wrote {res.path} ({res.size_mb:.2f} MB, {res.metadata.precision}); verified on {v.frames} frames: "
        f"PSNR {v.psnr_db:.1f} dB vs PyTorch (threshold {v.threshold_db:.0f}), max abs error {v.max_abs_error}"
    )
    print(verification_table(res))
    m = res.metadata
    source = f"opset {m.opset}" if m.opset else "converted from ONNX"
    print(f"  {source}; graph simplified by {m.simplified_by or 'nothing (--no-simplify or onnxslim missing)'}")
    if m.quantization.get("calibration"):
        c = m.quantization["calibration"]
        print(
            f"  int8: {m.quantization['weights']} weights, {m.quantization['activations']} activations; "
            f"calibrated on {c['frames']} frames of {c['source']}"
        )
    if m.quantization.get("equalized"):
        e = m.quantization["equalized"]
        print(
            f"  channel ranges equalized first (exact in float): the widest stream channel spanned "
            f"{e['stream_spread_before']}x the median one"
        )
    if m.int8_probe:
        from stylelite.export.int8_layers import probe_summary

        print("  " + probe_summary(m.int8_probe).replace("\n", "\n  "))
    if res.target_report is not None:
        print(res.target_report.format())
    return 0


def _stamp(args: argparse.Namespace) -> int:
    from stylelite.export.stamp import stamp_graph
    from stylelite.runtime.errors import ConfigError

    if not args.out:
        raise ConfigError("--card writes a stamped copy: give its path with -o (the original is not changed)")
    path, psnr = stamp_graph(args.model, tuple(args.card), args.out, restamp=args.restamp)
    print(
        f"wrote {path}: {args.model} with stylelite metadata; verified through the runtime against the original "
        f"on a real frame: PSNR {psnr:.1f} dB"
    )
    return 0


def verification_table(res) -> str:
    """The artifact vs PyTorch, as a table: artifact | format | precision | size | frames | PSNR | max err | verdict."""
    from stylelite.benchmark.table import text_table

    v = res.verification
    head = ("artifact", "format", "precision", "size MB", "frames", "PSNR dB", "min dB", "max abs err", "verdict")
    row = (
        res.path.name,
        res.path.suffix.lstrip("."),
        res.metadata.precision,
        f"{res.size_mb:.2f}",
        str(v.frames),
        f"{v.psnr_db:.1f}",
        f"{v.threshold_db:.0f}",
        str(v.max_abs_error),
        "pass" if v.passed else "FAIL",
    )
    return text_table(head, [row], align="<<<>>>>><", indent="  ")


def static_size(text: str | None) -> tuple[int, int] | None:
    """--static-size: "256" -> (256, 256), "640x480" -> (640, 480); None -> None."""
    from stylelite.runtime.errors import ConfigError
    from stylelite.runtime.frame_size import parse_size

    if text is None:
        return None
    if "x" in text.lower():
        return parse_size(text)
    if not text.strip().isdigit():
        raise ConfigError(f"--static-size {text!r}: give N or WIDTHxHEIGHT, e.g. 256 or 640x480")
    return parse_size(f"{text}x{text}")
