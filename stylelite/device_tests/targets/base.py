"""The target interface: push files, run a command with a timeout, pull files, read facts."""

from __future__ import annotations

import subprocess
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from stylelite.device_tests.inventory import DeviceSpec
from stylelite.runtime.errors import DeviceError

T = TypeVar("T")


class ConnectionDropped(DeviceError):
    """The link to the target broke (ssh exit 255, adb device offline): worth a retry."""


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def last_line(self, stream: str = "stderr") -> str:
        text = self.stderr if stream == "stderr" else self.stdout
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        return lines[-1][:300] if lines else "no output"


def with_retries(
    fn: Callable[[], T], retries: int, what: str, delay_s: float = 1.0, on_retry: Callable[[], None] | None = None
) -> T:
    """Call `fn`; after a ConnectionDropped try again up to `retries` more times (`on_retry` before each)."""
    for attempt in range(retries + 1):
        try:
            return fn()
        except ConnectionDropped as exc:
            if attempt == retries:
                raise ConnectionDropped(f"{what}: {exc} (gave up after {retries + 1} attempts)") from None
            if on_retry:
                on_retry()
            time.sleep(delay_s * (attempt + 1))
    raise AssertionError("unreachable")


def run_local(argv: list[str], timeout_s: float, env: dict | None = None, stdin: bytes | None = None) -> CommandResult:
    """Run an argument list here (never through a shell)."""
    try:
        proc = subprocess.run(argv, capture_output=True, timeout=timeout_s, env=env, input=stdin)
    except FileNotFoundError:
        raise DeviceError(f"{argv[0]} not found; install it or give its path in the inventory") from None
    except subprocess.TimeoutExpired:
        raise DeviceError(f"{Path(argv[0]).name} timed out after {timeout_s:.0f} s") from None
    return CommandResult(
        tuple(argv), proc.returncode, proc.stdout.decode(errors="replace"), proc.stderr.decode(errors="replace")
    )


class Target(ABC):
    """A machine that runs artifacts: this one, an SSH board, an Android phone."""

    kind = "target"

    def __init__(self, spec: DeviceSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.retries_used = 0  # dropped connections retried so far (benchmark records carry the count)

    def count_retry(self) -> None:
        self.retries_used += 1

    @abstractmethod
    def push(self, local: str | Path, remote: str) -> None:
        """Copy a local file to `remote` (an absolute path on the target)."""

    @abstractmethod
    def pull(self, remote: str, local: str | Path) -> None:
        """Copy `remote` from the target to a local file."""

    @abstractmethod
    def run(self, argv: list[str], timeout_s: float | None = None, env: dict[str, str] | None = None) -> CommandResult:
        """Run an argument list on the target; arguments are quoted, never pasted into a shell."""

    @abstractmethod
    def facts(self) -> dict:
        """What the target is (model, OS, CPU, runtime versions), recorded with every result."""

    @abstractmethod
    def make_workdir(self) -> str:
        """A fresh scratch folder on the target."""

    def remove_workdir(self, path: str) -> None:
        try:
            self.run(["rm", "-rf", path], timeout_s=60)
        except DeviceError:
            pass

    def check(self, result: CommandResult, what: str) -> CommandResult:
        if result.returncode != 0:
            raise DeviceError(f"{self.name}: {what} failed (exit {result.returncode}): {result.last_line()}")
        return result

    def has_command(self, name: str) -> bool:
        """True when `name` (a path or a command on PATH) can run on the target."""
        res = self.run(["sh", "-c", 'command -v "$1"', "sh", name], timeout_s=30)
        return res.returncode == 0 and bool(res.stdout.strip())
