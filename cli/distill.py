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
        "  stylelite distill --resume runs/00002-mobilegen_s_050-cyclegan_r9_bn_cartoon --steps 1200   # extend a run\n"
        "then for QAT: stylelite export RUN/student.safetensors --int8 --calib clip.mp4"
    )
    keep = argparse.SUPPRESS  # unset options are absent: a fresh run takes DistillConfig's defaults, a resume its own
    p.add_argument("--teacher", default=keep, help=f"teacher name, or name.tag: shipped weights (default: {d.teacher})")
    p.add_argument("--teacher-checkpoint", default=keep, help="teacher weights file (.pth/.safetensors)")
    p.add_argument(
        "--random-teacher",
        action="store_true",
        default=keep,
        help="allow a teacher without weights (randomly initialised; tests and smoke runs only)",
    )
    p.add_argument("--student", default=keep, help=f"student name (stylelite list) (default: {d.student})")
    p.add_argument(
        "--data",
        action="append",
        default=keep,
        help="'builtin', an image folder or a video file; repeat to combine (default: builtin)",
    )
    add_out(p, default="runs", help="parent folder of the run folder")
    p.add_argument(
        "--resume",
        default=None,
        metavar="RUN",
        help="continue an interrupted run folder with its own config (--steps N may extend it; "
        "--save-every, --threads and --flow-cache may change; other changed options are refused)",
    )
    p.add_argument("--qat", default=keep, choices=("", "int8"), help="quantization-aware training (fake-quant int8)")
    p.add_argument("--init-from", default=keep, metavar="WEIGHTS", help="start from these student weights")
    for key in NUMERIC:
        p.add_argument(
            "--" + key.replace("_", "-"), type=type(getattr(d, key)), default=keep, help=f"(default: {getattr(d, key)})"
        )
    p.add_argument(
        "--long-term-offsets",
        type=int,
        nargs="+",
        default=keep,
        metavar="K",
        help="frame distances of the long-term pairs (used when --w-long-term > 0) "
        f"(default: {' '.join(map(str, d.long_term_offsets))})",
    )
    p.add_argument("--flow-cache", default=keep, metavar="DIR", help="folder caching training clips' flows")
    p.add_argument(
        "--labels",
        default=keep,
        metavar="DIR",
        help="a label store: --label-crops augmented crops of the bundled photos labelled by the teacher once, "
        "shared by every run of this teacher and --crop (filled or completed first; needs --w-feature 0)",
    )


NUMERIC = (
    "steps",
    "batch",
    "crop",
    "cache_size",
    "label_crops",
    "lr",
    "w_pixel",
    "w_feature",
    "w_temporal",
    "w_long_term",
    "w_single_frame",
    "w_color",
    "ema",
    "prev_noise",
    "temporal_batch",
    "seed",
    "threads",
    "save_every",
)


def execute(args: argparse.Namespace) -> int:
    from stylelite.distill.distiller import distill

    fields = (*NUMERIC, "teacher", "student", "teacher_checkpoint", "random_teacher", "data", "qat", "init_from")
    given = {k: getattr(args, k) for k in (*fields, "long_term_offsets", "flow_cache", "labels") if hasattr(args, k)}
    for k in ("data", "long_term_offsets"):
        if k in given:
            given[k] = tuple(given[k])
    run = distill(out=args.out, resume=args.resume, **given)
    print(
        f"run folder: {run}\nstudent weights: {run / 'student.safetensors'}\n"
        f"next: stylelite export {run / 'student.safetensors'} -o student.onnx"
    )
    return 0
