"""The `qemu` target: an emulated aarch64 board (`stylelite emulate arm64`) that runs the runner bundle.

Programs of the board's tree (its Python) run under qemu's user-mode emulator with the tree as the
guest's root for the paths it holds (`qemu-aarch64-static -L TREE -cpu CPU TREE/usr/bin/python3.11 ...`);
every other path is this machine's, so files are "pushed" and "pulled" by copying, as on the local
target, and helper commands (rm, sh) run here. The board runs ONNX and TFLite files on the ARM kernels
of onnxruntime and LiteRT; its outputs are the board's, its timings are the emulator's (records say
`emulated`, and budgets refuse to compare them with latency limits).
"""

from __future__ import annotations

import os
from pathlib import Path

from stylelite.device_tests.targets.base import CommandResult, run_local
from stylelite.device_tests.targets.local import LocalTarget
from stylelite.runtime.errors import DeviceError


class QemuTarget(LocalTarget):
    kind = "qemu"
    formats = (".onnx", ".tflite")

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self.tree = Path(spec.sysroot).expanduser()
        self._qemu: str | None = None

    def qemu(self) -> str:
        """The emulator, after checking that it and the board's tree are there."""
        if self._qemu is None:
            from stylelite.device_tests.emulate_arm64 import find_qemu

            qemu = find_qemu(self.spec.qemu)
            if not (self.tree / self.spec.python.lstrip("/")).is_file():
                raise DeviceError(
                    f"{self.name}: no board tree with {self.spec.python} at {self.tree}; "
                    "prepare it: stylelite emulate arm64"
                )
            from stylelite.device_tests.emulate_arm64 import write_cpuinfo

            write_cpuinfo(self.tree)  # the guest's /proc/cpuinfo (see emulate_arm64)
            self._qemu = qemu
        return self._qemu

    def python(self) -> str:
        return self.spec.python

    def _on_board(self, program: str) -> Path | None:
        """The tree's file for `program` when the board has it (an absolute path in the tree, or on its PATH)."""
        candidates = [program] if program.startswith("/") else [f"/usr/bin/{program}", f"/bin/{program}"]
        for c in candidates:
            p = self.tree / c.lstrip("/")
            if p.is_file():
                return p
        return None

    def board_argv(self, argv: list[str]) -> list[str]:
        """The local argument list that runs `argv` (a program of the board's tree) under the emulator."""
        qemu = self.qemu()  # checks the emulator and the tree first
        program = self._on_board(argv[0])
        if program is None:
            raise DeviceError(f"{self.name}: {argv[0]} is not a program of the board's tree {self.tree}")
        cpu = ["-cpu", self.spec.cpu] if self.spec.cpu else []
        return [qemu, "-L", str(self.tree), *cpu, str(program), *[str(a) for a in argv[1:]]]

    def run(self, argv: list[str], timeout_s: float | None = None, env: dict[str, str] | None = None) -> CommandResult:
        if argv[0] != self.python() and self._on_board(argv[0]) is None:  # rm, sh: the board shares our files
            return super().run(argv, timeout_s, env)
        board_env = {  # the board's own environment, not this machine's (no host PYTHONPATH or venv)
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "HOME": os.environ.get("HOME", "/root"),
            "LC_ALL": "C.UTF-8",
            "TMPDIR": os.environ.get("TMPDIR", "/tmp"),
            **(env or {}),
        }
        return run_local(self.board_argv(argv), timeout_s or self.spec.timeout_s, env=board_env)

    def install_hint(self, package: str) -> str:
        from stylelite.device_tests.emulate_arm64 import PLATFORMS, SITE

        platforms = " ".join(f"--platform {p}" for p in PLATFORMS[:2])
        return (
            f"pip install --target {self.tree / SITE} {platforms} --python-version 3.11 --implementation cp "
            f"--only-binary=:all: {package} (or rebuild the board: stylelite emulate arm64)"
        )

    def facts(self) -> dict:
        from stylelite.device_tests.emulate_arm64 import qemu_version

        facts = super().facts()  # the runner's, on the board: machine aarch64, its Python and runtimes
        emulator = qemu_version(self.qemu())
        cpu = self.spec.cpu or "max"
        return {**facts, "cpu": f"{cpu} (emulated by {emulator})", "emulated": True, "emulator": emulator}
