"""`stylelite train-teacher` -> stylelite.distill.trainers.train_teacher_family: every family, and the
built-in cartoon teacher (the pix2pix family with the cartoon target filter, `TeacherTrainConfig`)."""

from __future__ import annotations

import argparse

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
            help="domain A / content data: image folder, video, 'builtin' or 'world' (the data extra's photos "
            "and textures); repeat to combine",
        ),
    ),
    ("--data-b", dict(action="append", metavar="PATH", help="domain B (cyclegan, unit) or paired targets (pix2pix)")),
    (
        "--target-filter",
        dict(choices=("cartoon",), help="pix2pix: each target is this filter's output on its --data-a crop"),
    ),
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
    ("--no-augment", dict(action="store_true", help="--target-filter data: no random rescale and colour jitter")),
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


def add_arguments(p: argparse.ArgumentParser) -> None:
    from stylelite.benchmark.table import text_table
    from stylelite.distill.trainers.config import FAMILIES, FAMILY_DEFAULTS

    table = text_table(
        ("family", "steps", "batch", "lr", "lr policy"),
        [(f, f"{d['steps']:,}", d["batch"], f"{d['lr']:g}", d["lr_policy"]) for f, d in FAMILY_DEFAULTS.items()],
        align="<>>><",
        indent="  ",
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
        "  stylelite train-teacher --family pix2pix --data-a photos/ --target-filter cartoon --crop 128\n"
        "  stylelite train-teacher --family fast_neural_style --style candy.jpg --data-a coco/ "
        "--vgg vgg16-397923af.pth\n"
        "  stylelite train-teacher --family multistyle --style candy=candy.jpg --style mosaic=mosaic.jpg "
        "--data-a coco/ --vgg vgg16-397923af.pth\n"
        "  stylelite train-teacher --family cyclegan --data-a a/ --data-b b/ --nproc-per-node 4\n"
        "  torchrun --nproc-per-node 4 -m stylelite train-teacher --family cyclegan --data-a a/ --data-b b/\n"
        "  stylelite train-teacher --resume runs/00003-cyclegan-cyclegan_r9\n"
        "then: stylelite distill --teacher NAME --teacher-checkpoint RUN/teacher_fp16.safetensors\n\n"
        "family defaults (the published recipes; crop 256):\n" + table + "\n"
        "  pix2pix without --data-a/--data-b/--target-filter: the built-in cartoon teacher (2400 steps, batch 4,\n"
        "  crop 96, lambda_l1 100; 'world': the data extra's photos and textures less the held-out photos,\n"
        "  targets from the cartoon filter per augmented crop)"
    )
    for flag, kw in _TRAIN_TEACHER_OPTIONS:
        kw = dict(kw)
        if flag == "--family":
            kw["choices"] = FAMILIES
        kw.setdefault("default", argparse.SUPPRESS)
        flags = ("-o", "--out", "--output") if flag == "--out" else (flag,)  # one meaning of -o in every verb
        p.add_argument(*flags, **kw)


def _given(args: argparse.Namespace) -> dict:
    """Options the user set (SUPPRESSed ones are absent), as config field names."""
    skip = {"command", "version", "family", "out", "resume", "nproc_per_node", "no_flip", "no_augment"}
    out = {}
    for key, value in vars(args).items():
        if key in skip or value is None:
            continue
        out[_FIELD_OF.get(key, key)] = tuple(value) if isinstance(value, list) else value
    if getattr(args, "no_flip", False):
        out["flip"] = False
    if getattr(args, "no_augment", False):
        out["augment"] = False
    return out


def _train_teacher_argv(args: argparse.Namespace) -> list[str]:
    """The command line that reproduces `args` (without --nproc-per-node), for the relauncher."""
    from stylelite.cli.options import command_line

    dests = (flag[2:].replace("-", "_") for flag, _ in _TRAIN_TEACHER_OPTIONS)
    given = {d: getattr(args, d) for d in dests if d != "nproc_per_node" and hasattr(args, d)}
    return command_line("train-teacher", given)


def execute(args: argparse.Namespace) -> int:
    """`stylelite train-teacher`: the built-in cartoon teacher, or any family via stylelite.distill.trainers."""
    import os

    from stylelite.distill.distributed import launch_torchrun, under_torchrun
    from stylelite.distill.run_dir import read_run_config
    from stylelite.distill.trainers import FamilyTrainConfig, train_teacher_family
    from stylelite.runtime.errors import ConfigError

    nproc = getattr(args, "nproc_per_node", 1)
    if nproc < 1:
        raise ConfigError("--nproc-per-node must be >= 1")
    given = _given(args)
    resume = getattr(args, "resume", None)
    if resume:
        builtin = "family" not in read_run_config(resume, "train-teacher")
    else:
        builtin = args.family == "pix2pix" and not {"data_a", "data_b", "target_filter"} & set(given)
    if builtin and (nproc > 1 or int(os.environ.get("WORLD_SIZE", "1")) > 1):
        raise ConfigError(
            "the built-in cartoon teacher trains in one process; --nproc-per-node / torchrun apply to the "
            "other families (and to pix2pix with --data-a)"
        )
    if resume:
        config = None
    elif builtin:
        config = _builtin_config(given)
    else:
        config = FamilyTrainConfig(family=args.family, **given)  # config errors: before any launch
    if nproc > 1 and not under_torchrun():
        return launch_torchrun(nproc, _train_teacher_argv(args))
    run = train_teacher_family(config, out=args.out, resume=resume, options=given if resume else None)
    if os.environ.get("RANK", "0") == "0":
        from stylelite.models.load import weights_metadata

        weights = run / "teacher_fp16.safetensors"
        print(
            f"run folder: {run}\nteacher weights: {weights}\n"
            f"next: stylelite distill --teacher {weights_metadata(weights)['teacher']} --teacher-checkpoint {weights}"
        )
    return 0


def _builtin_config(given: dict):
    """The built-in cartoon teacher's config from the options it takes (others are an error)."""
    from dataclasses import fields

    from stylelite.distill.trainers import TeacherTrainConfig
    from stylelite.runtime.errors import ConfigError

    known = {f.name for f in fields(TeacherTrainConfig)} - {"teacher", "decay_from", "data"}
    other = sorted(set(given) - known)
    if other:
        option_of = {field: dest for dest, field in _FIELD_OF.items()} | {"augment": "no_augment", "flip": "no_flip"}
        flags = ", ".join("--" + option_of.get(k, k).replace("_", "-") for k in other)
        raise ConfigError(
            f"{flags}: not used by the built-in cartoon teacher; for your own photos pass --data-a (with "
            "--data-b for paired targets, or --target-filter cartoon), or choose another --family"
        )
    return TeacherTrainConfig(**given)
