"""The `local` target: this machine, through the same runner a board uses."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from stylelite.device_tests.targets.base import CommandResult, run_local
from stylelite.device_tests.targets.python_target import PythonTarget


class LocalTarget(PythonTarget):
    kind = "local"

    def push(self, local: str | Path, remote: str) -> None:
        Path(remote).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(local, remote)

    def pull(self, remote: str, local: str | Path) -> None:
        Path(local).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(remote, local)

    def run(self, argv: list[str], timeout_s: float | None = None, env: dict[str, str] | None = None) -> CommandResult:
        full_env = {**os.environ, **(env or {})} if env else None
        return run_local(argv, timeout_s or self.spec.timeout_s, env=full_env)

    def make_workdir(self) -> str:
        return tempfile.mkdtemp(
            prefix="stylelite-", dir=self.spec.workdir if Path(self.spec.workdir).is_dir() else None
        )

    def python(self) -> str:
        import sys

        return self.spec.python if self.spec.python != "python3" else sys.executable
