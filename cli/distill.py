"""`stylelite distill` -> stylelite.distill.distiller.distill."""

from __future__ import annotations

import argparse

from stylelite.cli.options import add_out


def add_arguments(p: argparse.ArgumentParser) -> None:
    from stylelite.distill.distiller import DistillConfig

    d = DistillConfig()
    p.epilog = (
        "examples:\n  stylelite distill --teacher cyclegan_r9_bn.cartoon --student mobilegen_s_050\n"
        "  stylelite distill --teacher cyclegan_r9 --teacher-checkpoint horse2zebra.pth --data clips/a.mp4\n"
        "  stylelite distill --resume runs/00002-mobilegen_s_050-cyclegan_r9_bn_cartoon\n"
        "  stylelite distill --qat int8 --init-from runs/00001-mobilegen_s_050-cyclegan_r9_bn_cartoon/"
        "student.safetensors --steps 200 --lr 2e-4\n"
        "then for QAT: stylelite export RUN/student.safetensors --int8 --calib clip.mp4"
    )
    p.add_argument("--teacher", default=d.teacher, help="teacher name (or name.tag for shipped weights)")
    p.add_argument("--teacher-checkpoint", default=None, help="teacher weights file (.pth/.safetensors)")
    p.add_argument("--student", default=d.student, help="student name (stylelite list)")
    p.add_argument(
        "--data",
        action="append",
        default=None,
        help="'builtin', an image folder or a video file; repeat to combine",
    )
    add_out(p, default="runs", help="parent folder of the run folder")
    p.add_argument("--resume", default=None, metavar="RUN", help="continue an interrupted run folder")
    p.add_argument("--qat", default="", choices=("", "int8"), help="quantization-aware training (fake-quant int8)")
    p.add_argument("--init-from", default=None, metavar="WEIGHTS", help="start from these student weights")
    for key in (
        "steps",
        "batch",
        "crop",
        "cache_size",
        "lr",
        "w_pixel",
        "w_feature",
        "w_temporal",
        "w_long_term",
        "w_single_frame",
        "prev_noise",
        "seed",
        "threads",
    ):
        p.add_argument("--" + key.replace("_", "-"), type=type(getattr(d, key)), default=getattr(d, key))
    p.add_argument(
        "--long-term-offsets",
        type=int,
        nargs="+",
        default=list(d.long_term_offsets),
        metavar="K",
        help="frame distances of the long-term pairs (used when --w-long-term > 0)",
    )
    p.add_argument("--flow-cache", default=None, metavar="DIR", help="folder caching training clips' flows")


def execute(args: argparse.Namespace) -> int:
    from stylelite.distill.distiller import distill

    keys = ("steps", "batch", "crop", "cache_size", "lr", "w_pixel", "w_feature", "w_temporal")
    keys += ("w_long_term", "w_single_frame", "prev_noise", "seed", "threads", "flow_cache")
    extra = {k: getattr(args, k) for k in keys}
    extra["long_term_offsets"] = tuple(args.long_term_offsets)
    extra.update(qat=args.qat, init_from=args.init_from)
    if args.data:
        extra["data"] = tuple(args.data)
    run = distill(
        args.teacher,
        args.student,
        out=args.out,
        resume=args.resume,
        teacher_checkpoint=args.teacher_checkpoint,
        **({} if args.resume else extra),
    )
    print(
        f"run folder: {run}\nstudent weights: {run / 'student.safetensors'}\n"
        f"next: stylelite export {run / 'student.safetensors'} -o student.onnx"
    )
    return 0
