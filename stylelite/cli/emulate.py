"""`stylelite emulate arm64` -> stylelite.device_tests.emulate_arm64.emulate_arm64."""

from __future__ import annotations

import argparse

from stylelite.cli.options import add_json


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "examples:\n"
        "  stylelite emulate arm64\n"
        "  stylelite emulate arm64 --devices ci/devices.toml --cache /var/cache/stylelite-arm64\n"
        "  stylelite bench student.onnx student_int8.tflite --device arm64 --clip clip.mp4\n"
        "  pytest stylelite/device_tests --device arm64 --artifact student.onnx\n"
        "needs: apt-get install qemu-user-static mmdebstrap (and Debian's mirror and PyPI on the first run);\n"
        "latency measured on the emulated board is the emulator's: records say emulated = true and budgets\n"
        "refuse latency limits for them"
    )
    p.add_argument("board", choices=("arm64",), help="the board to emulate (aarch64 Debian bookworm under qemu)")
    p.add_argument(
        "--devices",
        default="devices.toml",
        metavar="FILE",
        help="inventory to write [devices.NAME] into (kept otherwise)",
    )
    p.add_argument(
        "--cache",
        default=None,
        metavar="DIR",
        help="where the board's tree is built and reused (default: $STYLELITE_ARM64_CACHE or ~/.cache/stylelite/arm64)",
    )
    p.add_argument("--name", default="arm64", help="the device's name in the inventory")
    p.add_argument("--qemu", default="qemu-aarch64-static", metavar="PATH", help="qemu's aarch64 user-mode emulator")
    add_json(p, "the board's facts")


def execute(args: argparse.Namespace) -> int:
    import json
    import sys

    from stylelite.device_tests.emulate_arm64 import emulate_arm64

    def progress(msg: str) -> None:
        if not args.json:
            print(msg, file=sys.stderr)

    tree, facts = emulate_arm64(args.devices, args.cache, args.name, args.qemu, progress)
    if args.json:
        print(json.dumps({"device": args.name, "devices": args.devices, "sysroot": str(tree), **facts}, indent=2))
        return 0
    versions = ", ".join(f"{k} {facts[k]}" for k in ("python", "onnxruntime", "ai_edge_litert") if k in facts)
    print(f"{args.name}: {facts.get('machine', 'aarch64')} board in {tree} ({versions}; {facts.get('qemu')})")
    print(f"written: [devices.{args.name}] in {args.devices}; try: stylelite bench MODEL --device {args.name}")
    return 0
