"""`stylelite demo | train-teacher | distill | list`."""

from __future__ import annotations

import argparse


def add_arguments(name: str, p: argparse.ArgumentParser) -> None:
    if name == "demo":
        p.epilog = "examples:\n  stylelite demo\n  stylelite demo --student mobilegen_s_025 --steps 300"
        p.add_argument("--out", default="reports/demo", help="report folder")
        p.add_argument("--runs", default="runs", help="where the distillation run folder goes")
        p.add_argument("--student", default="mobilegen_s_050", help="student to distil")
        p.add_argument("--steps", type=int, default=600, help="distillation steps")
        p.add_argument("--frames", type=int, default=40, help="frames in the built-in clip")
        p.add_argument("--clip-size", default="320x240", metavar="WxH", help="built-in clip resolution")
        p.add_argument("--latency-size", default="640x480", metavar="WxH", help="extra resolution to time")
        p.add_argument("--cache-size", type=int, default=192, help="teacher-labelled crops for distillation")
        p.add_argument("--crop", type=int, default=128, help="distillation crop size")
    elif name == "train-teacher":
        from distill.train_teacher import TeacherTrainConfig

        d = TeacherTrainConfig()
        p.epilog = (
            "examples:\n  stylelite train-teacher --steps 1000   # what produced the shipped teacher\n"
            "  stylelite train-teacher --resume runs/00001-cyclegan_r9_bn-cartoon"
        )
        p.add_argument("--out", default="runs", help="parent folder of the run folder")
        p.add_argument("--resume", default=None, metavar="RUN", help="continue an interrupted run folder")
        p.add_argument("--steps", type=int, default=d.steps)
        p.add_argument("--batch", type=int, default=d.batch)
        p.add_argument("--crop", type=int, default=d.crop)
        p.add_argument("--lr", type=float, default=d.lr)
        p.add_argument("--lambda-l1", type=float, default=d.lambda_l1)
        p.add_argument("--seed", type=int, default=d.seed)
        p.add_argument("--threads", type=int, default=d.threads)
    elif name == "distill":
        from distill.distiller import DistillConfig

        d = DistillConfig()
        p.epilog = (
            "examples:\n  stylelite distill --teacher cyclegan_r9_bn.cartoon --student mobilegen_s_050\n"
            "  stylelite distill --teacher cyclegan_r9 --teacher-checkpoint horse2zebra.pth --data clips/a.mp4\n"
            "  stylelite distill --resume runs/00002-mobilegen_s_050-cyclegan_r9_bn_cartoon"
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
        p.add_argument("--out", default="runs", help="parent folder of the run folder")
        p.add_argument("--resume", default=None, metavar="RUN", help="continue an interrupted run folder")
        for key in (
            "steps",
            "batch",
            "crop",
            "cache_size",
            "lr",
            "w_pixel",
            "w_feature",
            "w_temporal",
            "seed",
            "threads",
        ):
            p.add_argument("--" + key.replace("_", "-"), type=type(getattr(d, key)), default=getattr(d, key))
    elif name == "list":
        p.add_argument("kind", nargs="?", choices=("all", "teachers", "students"), default="all")
        p.add_argument(
            "--size", type=int, default=256, help="MACs are counted at size x size (rounded up to each model's stride)"
        )


def execute(name: str, args: argparse.Namespace) -> int:
    if name == "demo":
        from device_tests.bench import parse_size
        from distill.demo import demo

        demo(
            out=args.out,
            runs=args.runs,
            student=args.student,
            steps=args.steps,
            frames=args.frames,
            clip_size=parse_size(args.clip_size),
            latency_size=args.latency_size,
            cache_size=args.cache_size,
            crop=args.crop,
        )
    elif name == "train-teacher":
        from distill.train_teacher import TeacherTrainConfig, train_teacher

        cfg = TeacherTrainConfig(
            steps=args.steps,
            batch=args.batch,
            crop=args.crop,
            lr=args.lr,
            lambda_l1=args.lambda_l1,
            seed=args.seed,
            threads=args.threads,
        )
        run = train_teacher(args.out, resume=args.resume, config=None if args.resume else cfg)
        print(f"run folder: {run}\nteacher weights: {run / 'teacher_fp16.safetensors'}")
    elif name == "distill":
        from distill.distiller import distill

        keys = ("steps", "batch", "crop", "cache_size", "lr", "w_pixel", "w_feature", "w_temporal", "seed", "threads")
        extra = {k: getattr(args, k) for k in keys}
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
    elif name == "list":
        print(format_model_list(args.kind, args.size))
    return 0


def _round_up(size: int, stride: int) -> int:
    return -(-size // stride) * stride  # what the runtime pads a frame to


def format_model_list(kind: str = "all", size: int = 256) -> str:
    from distill.models.profile import count_macs, count_params
    from distill.models.registry import PRETRAINED, STUDENTS, TEACHERS, _ensure_registered

    _ensure_registered()
    rows = [("kind", "name", "params", f"GMAC@{size}", "family / weights")]
    for label, reg in (("teacher", TEACHERS), ("student", STUDENTS)):
        if kind not in ("all", label + "s"):
            continue
        for n in reg.names():
            m = reg.get(n)()
            side = _round_up(size, m.card.stride)
            tags = [t for t in PRETRAINED if t.startswith(n + ".")]
            rows.append(
                (
                    label,
                    n,
                    f"{count_params(m):,}",
                    f"{count_macs(m, side, side) / 1e9:.2f}",
                    m.card.family + (f"; shipped: {', '.join(tags)}" if tags else ""),
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows)
