"""The `stylelite` console command.

The command table below is static, so `stylelite --help` and `stylelite run` import no
torch: each package's module is imported only when one of its commands runs. A module
provides `add_arguments(name, parser)` and `execute(name, args) -> int`.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from runtime.errors import StyleliteError

# command -> (module that owns it, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("distill.cli", "end to end on built-in data: distil, export, stylize, benchmark, report"),
    "train-teacher": ("distill.cli", "train a teacher: built-in cartoon, cyclegan, unit, multistyle, fast style"),
    "distill": ("distill.cli", "distil a teacher into a MobileGen student"),
    "list": ("distill.cli", "list registered teachers and students with params and MACs"),
    "export": ("export.cli", "export a model to ONNX with metadata, verified against PyTorch"),
    "run": ("runtime.cli_run", "stylize a video, image or folder with an exported model (no torch)"),
    "serve": ("runtime.serve.cli", "live stylized camera or clip in a browser, with style and strength controls"),
    "bench": ("device_tests.cli", "measure latency, fps, memory, size, flicker and fidelity on a clip"),
    "budget": ("reports.cli", "check benchmark results against size/latency/fps/flicker/fidelity budgets (CI gate)"),
    "report": ("reports.cli", "rebuild report.md/report.html and plots from benchmark JSON lines"),
}


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
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text, formatter_class=_Formatter)
        if name == command:  # only the chosen command's module is imported
            importlib.import_module(module).add_arguments(name, p)
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
    try:
        return int(importlib.import_module(COMMANDS[args.command][0]).execute(args.command, args) or 0)
    except StyleliteError as exc:
        print(f"stylelite {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"stylelite {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
