"""An adb phone without `benchmark_model`: the runner bundle on the phone's own Python, LiteRT's interpreter.

When the inventory gives no `benchmark_model` binary, the phone runs `python -m
stylelite.device_tests.remote_runner` (the interpreter named by `python`, e.g. Termux's, with numpy,
OpenCV and ai-edge-litert installed), as an ssh board does: every frame's latency, the stylized frames
back for flicker, parity and fidelity. The transport is the adb target's (`adb -s SERIAL push|shell|pull`,
argument lists joined with shlex quoting); LiteRT's Python interpreter runs on the CPU (XNNPACK), so
`delegates` other than cpu/xnnpack need benchmark_model.
"""

from __future__ import annotations

from pathlib import Path

from stylelite.device_tests.targets.adb import AdbTarget
from stylelite.device_tests.targets.base import CommandResult
from stylelite.device_tests.targets.python_target import PythonTarget
from stylelite.runtime.errors import DeviceError


class AdbPythonTarget(PythonTarget):
    kind = "adb"
    formats = (".tflite",)

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self.link = AdbTarget(spec)  # push, pull, shell, getprop
        gpu = [d for d in spec.delegates if d not in ("cpu", "xnnpack")]
        if gpu:
            raise DeviceError(
                f"{spec.name}: delegate(s) {', '.join(gpu)} need LiteRT's benchmark_model on the phone; set "
                '`benchmark_model` in the inventory, or keep delegates = ["xnnpack"] for the phone\'s Python'
            )

    @property
    def retries_used(self) -> int:  # dropped adb connections, counted by the link
        return self.link.retries_used

    @retries_used.setter
    def retries_used(self, value: int) -> None:
        pass  # the link keeps the count

    def push(self, local: str | Path, remote: str) -> None:
        self.link.push(local, remote)

    def pull(self, remote: str, local: str | Path) -> None:
        self.link.pull(remote, local)

    def run(self, argv: list[str], timeout_s: float | None = None, env: dict[str, str] | None = None) -> CommandResult:
        return self.link.run(argv, timeout_s, env)

    def make_workdir(self) -> str:
        return self.link.make_workdir()

    def install_hint(self, package: str) -> str:
        return f"pip install {package} with the phone's Python ({self.python()}, e.g. in Termux)"

    def facts(self) -> dict:
        """The phone's (getprop) and its Python's (machine, versions)."""
        phone = self.link.facts()
        try:
            runner = self.runner(["facts"])
        except DeviceError as exc:
            raise DeviceError(
                f"{exc}; without `benchmark_model` in the inventory the phone runs {self.python()} "
                "with numpy, OpenCV and ai-edge-litert"
            ) from None
        keep = ("machine", "python", "cores", "os")
        return {**phone, **{k: runner[k] for k in keep if k in runner}, "runner": "litert-python"}
