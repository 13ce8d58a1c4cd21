"""Option groups shared by the verbs, so an option means the same everywhere.

- `-o/--out`: where the command writes its result (the stylized file, the artifact, the report folder,
  the records file, the parent of run folders), one flag under one name in every verb.
- engine options (`--threads`, `--providers`, `--graph-opt`, `--no-xnnpack`, `--arch`): the same flags for
  `run`, `bench` and `serve`, checked against the engine each model file gets (an option the engine
  does not take is an error).
- sizes (`--size`, `--process-size`, `--clip-size`, ...): WxH, checked when the command line is parsed.
- `--json`: print the result as JSON instead of a table.
- `command_line`: the options a verb was given, as the argv that gives them again (torchrun's ranks).
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path

from stylelite.runtime.engines import CHECKPOINT_SUFFIXES
from stylelite.runtime.engines.options import EngineOptions


def add_out(p: argparse.ArgumentParser, help: str, **kwargs) -> None:
    """`-o/--out PATH` (`--output` is accepted too): where the command writes its result."""
    p.add_argument("-o", "--out", "--output", dest="out", metavar="PATH", help=help, **kwargs)


def add_json(p: argparse.ArgumentParser, what: str = "the result") -> None:
    p.add_argument("--json", action="store_true", help=f"print {what} as JSON")


def add_engine_options(p: argparse.ArgumentParser, checkpoints: bool = True) -> None:
    """The engine option group; unset options take each engine's default."""
    g = p.add_argument_group("engine options (checked against the engine each model file gets)")
    g.add_argument("--threads", type=non_negative_int, default=0, help="inference threads (0: the engine's default)")
    g.add_argument("--providers", default=None, help="onnxruntime: execution providers in order (cuda,cpu)")
    g.add_argument(
        "--graph-opt",
        default=None,
        choices=("disable", "basic", "extended", "all"),
        help="onnxruntime: graph optimization (default: all)",
    )
    g.add_argument("--no-xnnpack", action="store_true", help="LiteRT: run without the XNNPACK delegate")
    if checkpoints:
        g.add_argument("--arch", default=None, help="PyTorch: architecture of a .pth/.pt checkpoint (cyclegan_r9)")


def add_workers(p: argparse.ArgumentParser) -> None:
    """--workers N: frame-parallel model copies in the video pipeline."""
    p.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        metavar="N",
        help="run N copies of the model on N frames at once, each with --threads / N threads (default 1); on a "
        "small CPU 2 keeps both cores busy while frames are decoded and encoded (frames stay in order)",
    )


def engine_options(args: argparse.Namespace) -> EngineOptions:
    """The EngineOptions the user asked for (unset ones stay None)."""
    return EngineOptions(
        threads=args.threads,
        providers=args.providers,
        graph_optimization=args.graph_opt,
        xnnpack=False if args.no_xnnpack else None,
        arch=getattr(args, "arch", None),
        workers=getattr(args, "workers", 1),
    )


def prepare_engines(models: Iterable[str | Path]) -> None:
    """Register the torch engine (from the models layer) when a checkpoint is among `models`; the
    runtime never imports torch itself."""
    if any(Path(m).suffix in CHECKPOINT_SUFFIXES for m in models):
        from stylelite.runtime.errors import require

        require("torch", "train")
        import stylelite.models.torch_engine  # noqa: F401  (registers itself for the checkpoint suffixes)


def parse_sizes(values: Iterable[str]) -> list[tuple[int, int]]:
    from stylelite.runtime.pipeline import parse_size

    return [parse_size(v) for v in values]


def positive_int(text: str) -> int:
    """An argparse type for counts that must be 1 or more (`--max-frames`): a usage error (exit 2) otherwise."""
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text}: use a positive count (1 or more)")
    return value


def non_negative_int(text: str) -> int:
    """An argparse type for counts where 0 means a default (`--threads 0`): a usage error below 0."""
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text}: use 0 (the default) or a positive count")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def size_arg(text: str) -> str:
    """An argparse type for WxH options: checked when the command line is parsed (a usage error, exit 2)."""
    from stylelite.runtime.errors import ConfigError
    from stylelite.runtime.pipeline import parse_size

    try:
        w, h = parse_size(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return f"{w}x{h}"


def add_size(p: argparse.ArgumentParser, flag: str, help: str, **kwargs) -> None:
    """A WxH option (`--size 640x480`); the value stays a "WxH" string, checked by `size_arg`."""
    p.add_argument(flag, type=size_arg, metavar="WxH", help=help, **kwargs)


def command_line(verb: str, values: dict[str, object], repeated: Iterable[str] = ()) -> list[str]:
    """`verb` with `values` (option dest -> value) as the argv that sets them again, e.g. for a torchrun relaunch.

    A dest names its flag (`key_map` -> `--key-map`). True is a bare flag, False and None are left out; a list,
    or a tuple whose dest is in `repeated`, repeats the flag per item (`action="append"`); another tuple
    follows one flag (`nargs="+"`)."""
    argv = [verb]
    for dest, value in values.items():
        flag = "--" + dest.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            argv.append(flag)
        elif isinstance(value, list) or (isinstance(value, tuple) and dest in repeated):
            for item in value:
                argv += [flag, str(item)]
        elif isinstance(value, tuple):
            argv += [flag, *map(str, value)]
        else:
            argv += [flag, str(value)]
    return argv
