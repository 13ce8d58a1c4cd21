"""`stylelite export`."""

from __future__ import annotations

import argparse


def add_arguments(name: str, p: argparse.ArgumentParser) -> None:
    from export.api import FORMATS, PRECISIONS

    p.epilog = (
        "examples:\n"
        "  stylelite export runs/00001-mobilegen_s_050-cyclegan_r9_bn_cartoon/student.safetensors -o student.onnx\n"
        "  stylelite export cyclegan_r9_bn.cartoon -o teacher.onnx\n"
        "  stylelite export cyclegan_r9 --checkpoint horse2zebra.pth -o horse2zebra.onnx"
    )
    p.add_argument(
        "model", help="registered name (mobilegen_s_050, cyclegan_r9_bn.cartoon) or a stylelite weights file"
    )
    p.add_argument("-o", "--output", default=None, help="artifact path (default: <model>.<format>)")
    p.add_argument("--checkpoint", default=None, help="weights for a named architecture (.pth/.safetensors)")
    p.add_argument("--format", default="onnx", choices=FORMATS)
    p.add_argument("--precision", default="fp32", choices=PRECISIONS)
    p.add_argument(
        "--static-size", type=int, default=None, metavar="N", help="fixed N x N input instead of dynamic H/W"
    )
    p.add_argument("--dynamo", action="store_true", help="use the torch.export-based ONNX exporter")
    p.add_argument("--verify-on", default=None, metavar="VIDEO", help="also verify on frames of this video")


def execute(name: str, args: argparse.Namespace) -> int:
    from export.api import export_model

    frames = None
    if args.verify_on:
        from runtime.video import read_video

        frames = read_video(args.verify_on, max_frames=4)[0]
    res = export_model(
        args.model,
        args.output,
        checkpoint=args.checkpoint,
        format=args.format,
        precision=args.precision,
        dynamic=args.static_size is None,
        dynamo=args.dynamo,
        sample_size=args.static_size or 256,
        verify_frames=frames,
    )
    v = res.verification
    print(
        f"wrote {res.path} ({res.size_mb:.2f} MB, {res.metadata.precision}); verified on {v.frames} frames: "
        f"PSNR {v.psnr_db:.1f} dB vs PyTorch (threshold {v.threshold_db:.0f}), max abs error {v.max_abs_error}"
    )
    return 0
