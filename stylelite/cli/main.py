"""The `stylelite` console command.

The verb table below is static, so `stylelite --help` and `stylelite run` import no torch:
a verb's module (stylelite/cli/<verb>.py) is imported only when that verb runs. A verb module
provides `add_arguments(parser)` and `execute(args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from stylelite.runtime.errors import StyleliteError

# verb -> (its module in stylelite.cli, one-line help). Each module has add_arguments(parser) and
# execute(args) -> int; only the chosen verb's module is imported.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "end to end on built-in data: distil, export, stylize, benchmark, report"),
    "train-teacher": ("train_teacher", "train a teacher: built-in cartoon, cyclegan, unit, multistyle, fast style"),
    "distill": ("distill", "distil a teacher into a MobileGen student"),
    "search": ("search", "student search: train candidates briefly, time them on the device, Pareto front, pick"),
    "list": ("list_models", "list registered teachers and students with params and MACs"),
    "inspect": ("inspect_file", "what a checkpoint or exported graph holds, and the model it loads as"),
    "export": ("export", "export a model to ONNX or TFLite with metadata, verified against PyTorch"),
    "run": ("run", "stylize a video, image, folder, camera or stream with an exported model (no torch)"),
    "serve": ("serve", "live stylized camera or clip in a browser, with style and strength controls"),
    "bench": ("bench", "measure latency, fps, memory, size, flicker and fidelity on a clip"),
    "budget": ("budget", "check benchmark results against size/latency/fps/flicker/fidelity budgets (CI gate)"),
    "report": ("report", "rebuild report.md/report.html and plots from benchmark JSON lines"),
    "emulate": ("emulate", "prepare an emulated arm64 board (qemu) and add it to devices.toml"),
}


def _verb_module(name: str):
    return importlib.import_module(f"stylelite.cli.{COMMANDS[name][0]}")


class _Formatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    pass


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stylelite",
        formatter_class=_Formatter,
        description="Turn heavy GAN style-transfer models into real-time, flicker-free video filters.",
        epilog="examples:\n  stylelite demo\n  stylelite run model.onnx -i in.mp4 -o out.mp4\n"
        "  stylelite <command> --help",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (_, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, formatter_class=_Formatter)
        if name == command:  # only the chosen command's module is imported
            _verb_module(name).add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(command if command in COMMANDS else None)
    args = parser.parse_args(argv)
    if args.version:
        from importlib.metadata import PackageNotFoundError, version

        try:
            print(version("stylelite"))
        except PackageNotFoundError:
            print("stylelite (source tree)")
        return 0
    if not args.command:
        parser.print_help()
        return 2
    from stylelite.runtime.stylize import Terminated, sigterm_as_interrupt

    try:
        with sigterm_as_interrupt():  # SIGTERM (a timeout, docker stop) ends any verb as Ctrl+C does
            return int(_verb_module(args.command).execute(args) or 0)
    except StyleliteError as exc:
        print(f"stylelite {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except Terminated:
        print(f"stylelite {args.command}: terminated", file=sys.stderr)
        return 143
    except KeyboardInterrupt:
        print(f"stylelite {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
