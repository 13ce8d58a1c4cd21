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
        add_train_teacher_arguments(p)
    elif name == "distill":
        from distill.distiller import DistillConfig

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
        p.add_argument("--out", default="runs", help="parent folder of the run folder")
        p.add_argument("--resume", default=None, metavar="RUN", help="continue an interrupted run folder")
        p.add_argument("--qat", default="", choices=("", "int8"), help="quantization-aware training (fake-quant int8)")
        p.add_argument("--qat-engine", default=d.qat_engine, choices=("nncf", "pt2e"), help="QAT library")
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
    elif name == "list":
        p.add_argument("kind", nargs="?", choices=("all", "teachers", "students"), default="all")
        p.add_argument("--cards", action="store_true", help="also print each model's weights source and licence")
        p.add_argument(
            "--size", type=int, default=256, help="MACs are counted at size x size (rounded up to each model's stride)"
        )


def execute(name: str, args: argparse.Namespace) -> int:
    if name == "demo":
        from distill.demo import demo
        from runtime.pipeline import parse_size

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
        return train_teacher_command(args)
    elif name == "distill":
        from distill.distiller import distill

        keys = ("steps", "batch", "crop", "cache_size", "lr", "w_pixel", "w_feature", "w_temporal")
        keys += ("w_long_term", "w_single_frame", "prev_noise", "seed", "threads", "flow_cache")
        extra = {k: getattr(args, k) for k in keys}
        extra["long_term_offsets"] = tuple(args.long_term_offsets)
        extra.update(qat=args.qat, qat_engine=args.qat_engine, init_from=args.init_from)
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
        print(format_model_list(args.kind, args.size, cards=args.cards))
    return 0


# train-teacher options: (flag, argparse keywords). Unset options take the chosen family's default,
# so they are SUPPRESSed (absent from the namespace) rather than None.
_TRAIN_TEACHER_OPTIONS: tuple[tuple[str, dict], ...] = (
    ("--family", dict(default="pix2pix", help="what to train (see the family notes below)")),
    ("--out", dict(default="runs", help="parent folder of the run folder")),
    ("--resume", dict(metavar="RUN", help="continue an interrupted run folder (any family)")),
    (
        "--data-a",
        dict(
            action="append",
            metavar="PATH",
            help="domain A / content data: image folder, video or 'builtin'; repeat to combine",
        ),
    ),
    ("--data-b", dict(action="append", metavar="PATH", help="domain B (cyclegan, unit) or paired targets (pix2pix)")),
    (
        "--style",
        dict(action="append", metavar="[NAME=]IMAGE", help="style image (fast_neural_style: one; multistyle: up to 8)"),
    ),
    (
        "--vgg",
        dict(metavar="PATH", help="ImageNet VGG-16 weights, torchvision's vgg16-397923af.pth (perceptual families)"),
    ),
    (
        "--generator",
        dict(help="registered generator (cyclegan: cyclegan_r9, cyclegan_r6, ...; pix2pix: pix2pix_unet256, ...)"),
    ),
    ("--steps", dict(type=int)),
    ("--batch", dict(type=int)),
    ("--crop", dict(type=int, help="training crop (pix2pix built-in: 96; other families: 256)")),
    ("--load-size", dict(type=int, help="shorter side before the random crop (cyclegan/pix2pix: 286 for crop 256)")),
    ("--lr", dict(type=float)),
    ("--gan-loss", dict(choices=("lsgan", "wgangp"), help="adversarial objective (cyclegan, unit, pix2pix)")),
    ("--lambda-l1", dict(type=float, help="pix2pix L1 weight (100)")),
    ("--lambda-cycle", dict(type=float, help="cycle-consistency weight (10)")),
    ("--lambda-identity", dict(type=float, help="cyclegan identity weight, a fraction of --lambda-cycle (0.5)")),
    ("--lambda-gp", dict(type=float, help="WGAN-GP gradient penalty weight (10)")),
    ("--pool-size", dict(type=int, help="cyclegan history of fakes shown to the discriminators (50)")),
    ("--content-weight", dict(type=float, help="perceptual content weight, relu2_2 (1e5)")),
    ("--style-weight", dict(type=float, help="perceptual Gram style weight (1e10)")),
    ("--tv-weight", dict(type=float, help="total-variation weight (1e6)")),
    ("--style-size", dict(type=int, help="style image shorter side (default: the crop)")),
    ("--no-flip", dict(action="store_true", help="no random horizontal flips")),
    ("--save-every", dict(type=int, help="steps between resumable checkpoints")),
    ("--seed", dict(type=int)),
    ("--threads", dict(type=int, help="torch CPU threads (0: torch default)")),
    ("--device", dict(choices=("auto", "cpu", "cuda"), help="auto: CUDA when available (rank r uses cuda:LOCAL_RANK)")),
    (
        "--nproc-per-node",
        dict(type=int, default=1, help="N > 1: relaunch through torch.distributed.run with N processes"),
    ),
)
# namespace attribute -> config field, where they differ
_FIELD_OF = {"data_a": "data_a", "data_b": "data_b", "style": "styles"}


def add_train_teacher_arguments(p: argparse.ArgumentParser) -> None:
    from distill.teachers.config import FAMILIES, FAMILY_DEFAULTS

    table = "\n".join(
        f"  {f:<18} steps {d['steps']:>9,}  batch {d['batch']}  lr {d['lr']:g}  lr policy {d['lr_policy']}"
        for f, d in FAMILY_DEFAULTS.items()
    )
    p.description = (
        "train a teacher: the built-in cartoon teacher (pix2pix), or a cyclegan, unit, multistyle, "
        "fast_neural_style or paired pix2pix teacher on your data; single process or torchrun (DDP)"
    )
    p.epilog = (
        "examples:\n"
        "  stylelite train-teacher --steps 1000            # the built-in cartoon teacher (pix2pix objective)\n"
        "  stylelite train-teacher --family cyclegan --data-a photos/ --data-b paintings/\n"
        "  stylelite train-teacher --family cyclegan --generator cyclegan_r6 --crop 128 --data-a a.mp4 "
        "--data-b b/ --gan-loss wgangp\n"
        "  stylelite train-teacher --family unit --data-a day/ --data-b night/\n"
        "  stylelite train-teacher --family pix2pix --data-a inputs/ --data-b targets/   # paired, matched by name\n"
        "  stylelite train-teacher --family fast_neural_style --style candy.jpg --data-a coco/ "
        "--vgg vgg16-397923af.pth\n"
        "  stylelite train-teacher --family multistyle --style candy=candy.jpg --style mosaic=mosaic.jpg "
        "--data-a coco/ --vgg vgg16-397923af.pth\n"
        "  stylelite train-teacher --family cyclegan --data-a a/ --data-b b/ --nproc-per-node 4\n"
        "  torchrun --nproc-per-node 4 -m runtime.cli train-teacher --family cyclegan --data-a a/ --data-b b/\n"
        "  stylelite train-teacher --resume runs/00003-cyclegan-cyclegan_r9\n"
        "then: stylelite distill --teacher NAME --teacher-checkpoint RUN/teacher_fp16.safetensors\n\n"
        "family defaults (the published recipes; crop 256):\n" + table + "\n"
        "  pix2pix without --data-a/--data-b: the built-in cartoon teacher (1600 steps, batch 4, crop 96)"
    )
    for flag, kw in _TRAIN_TEACHER_OPTIONS:
        kw = dict(kw)
        if flag == "--family":
            kw["choices"] = FAMILIES
        kw.setdefault("default", argparse.SUPPRESS)
        p.add_argument(flag, **kw)


def _given(args: argparse.Namespace) -> dict:
    """Options the user set (SUPPRESSed ones are absent), as config field names."""
    skip = {"command", "version", "family", "out", "resume", "nproc_per_node", "no_flip"}
    out = {}
    for key, value in vars(args).items():
        if key in skip or value is None:
            continue
        out[_FIELD_OF.get(key, key)] = tuple(value) if isinstance(value, list) else value
    if getattr(args, "no_flip", False):
        out["flip"] = False
    return out


def _train_teacher_argv(args: argparse.Namespace) -> list[str]:
    """The command line that reproduces `args` (without --nproc-per-node), for the relauncher."""
    argv = ["train-teacher"]
    for flag, kw in _TRAIN_TEACHER_OPTIONS:
        dest = flag[2:].replace("-", "_")
        if dest == "nproc_per_node" or not hasattr(args, dest):
            continue
        value = getattr(args, dest)
        if kw.get("action") == "store_true":
            argv += [flag] if value else []
        elif isinstance(value, list):
            for v in value:
                argv += [flag, str(v)]
        elif value is not None:
            argv += [flag, str(value)]
    return argv


def train_teacher_command(args: argparse.Namespace) -> int:
    """`stylelite train-teacher`: the built-in pix2pix teacher, or any family via distill.teachers."""
    import os
    from pathlib import Path

    from distill.run_dir import load_config_json
    from distill.teachers.distributed import launch_torchrun, under_torchrun
    from runtime.errors import ConfigError

    nproc = getattr(args, "nproc_per_node", 1)
    if nproc < 1:
        raise ConfigError("--nproc-per-node must be >= 1")
    given = _given(args)
    resume = getattr(args, "resume", None)
    if resume:
        if not (Path(resume) / "config.json").is_file():
            raise ConfigError(f"{resume} is not a train-teacher run folder (no config.json)")
        builtin = "family" not in load_config_json(Path(resume))
    else:
        builtin = args.family == "pix2pix" and "data_a" not in given and "data_b" not in given
    if builtin:
        if nproc > 1 or int(os.environ.get("WORLD_SIZE", "1")) > 1:
            raise ConfigError(
                "the built-in cartoon teacher trains in one process; --nproc-per-node / torchrun apply to the "
                "other families (and to pix2pix with --data-a/--data-b)"
            )
        return _train_builtin_teacher(args, given, resume)
    from distill.teachers import FamilyTrainConfig, train_teacher_family

    config = None if resume else FamilyTrainConfig(family=args.family, **given)  # config errors: before any launch
    if nproc > 1 and not under_torchrun():
        return launch_torchrun(nproc, _train_teacher_argv(args))
    run = train_teacher_family(config, out=args.out, resume=resume)
    if os.environ.get("RANK", "0") == "0":
        weights = run / "teacher_fp16.safetensors"
        generator = load_config_json(run)["generator"]
        print(
            f"run folder: {run}\nteacher weights: {weights}\n"
            f"next: stylelite distill --teacher {generator} --teacher-checkpoint {weights}"
        )
    return 0


def _train_builtin_teacher(args: argparse.Namespace, given: dict, resume: str | None) -> int:
    from distill.train_teacher import TeacherTrainConfig, train_teacher
    from runtime.errors import ConfigError

    known = {"steps", "batch", "crop", "lr", "lambda_l1", "seed", "threads"}
    other = sorted(set(given) - known)
    if other and not resume:
        option_of = {field: dest for dest, field in _FIELD_OF.items()}
        flags = ", ".join("--" + option_of.get(k, k).replace("_", "-") for k in other)
        raise ConfigError(
            f"{flags}: not used by the built-in cartoon teacher; for paired folders pass --data-a and "
            "--data-b, or choose another --family"
        )
    cfg = None if resume else TeacherTrainConfig(**{k: v for k, v in given.items() if k in known})
    run = train_teacher(args.out, resume=resume, config=cfg)
    print(f"run folder: {run}\nteacher weights: {run / 'teacher_fp16.safetensors'}")
    return 0


def _round_up(size: int, stride: int) -> int:
    return -(-size // stride) * stride  # what the runtime pads a frame to


def format_model_list(kind: str = "all", size: int = 256, cards: bool = False) -> str:
    """The `stylelite list` table; with `cards`, each model's source and licence notes below it."""
    from distill.models.profile import count_macs, count_params
    from distill.models.registry import PRETRAINED, STUDENTS, TEACHERS, _ensure_registered

    _ensure_registered()
    rows = [("kind", "name", "params", f"GMAC@{size}", "input", "res", "stride", "family / weights")]
    notes: list[str] = []
    for label, reg in (("teacher", TEACHERS), ("student", STUDENTS)):
        if kind not in ("all", label + "s"):
            continue
        for n in reg.names():
            m = reg.get(n)()
            card = m.card
            side = _round_up(size, card.stride)
            tags = [t for t in PRETRAINED if t.startswith(n + ".")]
            lo, hi = card.input_range
            rows.append(
                (
                    label,
                    n,
                    f"{count_params(m):,}",
                    f"{count_macs(m, side, side) / 1e9:.2f}",
                    f"[{lo:g},{hi:g}] {card.color} {card.layout}",
                    str(card.resolution),
                    str(card.stride),
                    card.family + (f"; shipped: {', '.join(tags)}" if tags else ""),
                )
            )
            if cards:
                notes.append(f"{n}:\n  weights: {card.source or '-'}\n  licence: {card.license or '-'}")
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    table = "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows)
    return table + ("\n\n" + "\n".join(notes) if notes else "")
