"""Targets that run the Python runner bundle (local, ssh): facts and benchmarks via the runner."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from stylelite.device_tests.bundle import BUNDLE_NAME, build_runner_bundle
from stylelite.device_tests.targets.base import Target
from stylelite.runtime.errors import DeviceError


class PythonTarget(Target):
    """A target with Python + numpy + OpenCV + onnxruntime; stylelite's code travels in a zip."""

    _workdir: str | None = None

    def python(self) -> str:
        return self.spec.python

    def workdir(self) -> str:
        """The run's scratch folder on the target, with the runner bundle in it (made once)."""
        if self._workdir is None:
            wd = self.make_workdir()
            with tempfile.TemporaryDirectory() as tmp:
                self.push(build_runner_bundle(tmp), f"{wd}/{BUNDLE_NAME}")
            self._workdir = wd
        return self._workdir

    def close(self) -> None:
        if self._workdir is not None:
            self.remove_workdir(self._workdir)
            self._workdir = None

    def runner(self, args: list[str], timeout_s: float | None = None) -> dict:
        """Run `python -m stylelite.device_tests.remote_runner ARGS` on the target; its JSON answer."""
        wd = self.workdir()
        env = {"PYTHONPATH": f"{wd}/{BUNDLE_NAME}"}
        if self.spec.threads:
            env["OMP_NUM_THREADS"] = str(self.spec.threads)
        res = self.run(
            [self.python(), "-m", "stylelite.device_tests.remote_runner", *args], timeout_s=timeout_s, env=env
        )
        lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
        try:
            answer = json.loads(lines[-1]) if lines else {}
        except ValueError:
            answer = {}
        answer = answer if isinstance(answer, dict) else {}
        if res.returncode != 0 or "error" in answer or not answer:
            why = answer.get("error") or res.last_line()
            raise DeviceError(f"{self.name}: the runner failed ({args[0]}): {why}")
        return answer

    def facts(self) -> dict:
        return {**self.runner(["facts"]), "device": self.name, "kind": self.kind}

    def bench_artifact(self, artifact: Path, frames_npy: Path, out_npy: Path, warmup: int, iters: int) -> dict:
        """Push the artifact and frames, time them on the target, pull the stylized frames back."""
        wd = self.workdir()
        model, frames, outs = f"{wd}/{artifact.name}", f"{wd}/frames.npy", f"{wd}/out_{artifact.stem}.npy"
        self.push(artifact, model)
        self.push(frames_npy, frames)
        threads = str(self.spec.threads)
        result = self.runner(
            ["bench", model, frames, outs, "--warmup", str(warmup), "--iters", str(iters), "--threads", threads]
        )
        self.pull(outs, out_npy)
        result["remote_artifact"] = model
        return result

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
