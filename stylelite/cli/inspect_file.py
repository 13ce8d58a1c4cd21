"""`stylelite inspect FILE` -> stylelite.models.inspection.inspect_file."""

from __future__ import annotations

import argparse

from stylelite.cli.options import add_json


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "examples:\n"
        "  stylelite inspect latest_net_G.pth\n"
        "  stylelite inspect fork_G.pth --key-map block=conv_block\n"
        "  stylelite inspect other.onnx --json"
    )
    p.add_argument("file", help="a checkpoint (.pth/.pt/.safetensors) or a graph (.onnx/.tflite/TorchScript/.pt2)")
    p.add_argument(
        "--key-map",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="rename the checkpoint's key components first (as export and distill would)",
    )
    add_json(p, "the description (every key and shape)")


def execute(args: argparse.Namespace) -> int:
    import json

    from stylelite.models.inspection import format_inspection, inspect_file

    info = inspect_file(args.file, tuple(args.key_map))
    print(json.dumps(info, indent=1) if args.json else format_inspection(info))
    return 0
