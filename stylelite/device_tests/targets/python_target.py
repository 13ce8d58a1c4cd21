"""Targets that run the Python runner bundle (local, ssh): facts and benchmarks via the runner."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from stylelite.device_tests.bundle import BUNDLE_NAME, build_runner_bundle
from stylelite.device_tests.targets.base import Target
from stylelite.runtime.errors import DeviceError

_FORMAT_PACKAGES = {".onnx": "onnxruntime", ".tflite": "ai-edge-litert"}  # what a board needs per format
_ENGINE_FORMATS = {"onnxruntime": ".onnx", "litert": ".tflite"}  # tensorrt runs through trtexec, not the runner


class PythonTarget(Target):
    """A target with Python + numpy + OpenCV + onnxruntime; stylelite's code travels in a zip."""

    _workdir: str | None = None

    @property
    def formats(self) -> tuple[str, ...]:
        """The model files `stylelite bench --device` runs here: those of the inventory's `engines`
        (`["onnxruntime", "litert"]`: .onnx and .tflite; the default, onnxruntime: .onnx)."""
        found = tuple(dict.fromkeys(_ENGINE_FORMATS[e] for e in self.spec.engines if e in _ENGINE_FORMATS))
        return found or (".onnx",)

    def install_hint(self, package: str) -> str:
        """How to give the board `package` (a target that builds its board says how to rebuild it)."""
        return f"pip install {package} on the board (for {self.python()})"

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
        try:
            result = self.runner(
                ["bench", model, frames, outs, "--warmup", str(warmup), "--iters", str(iters), "--threads", threads]
            )
        except DeviceError as exc:
            missing = re.search(r"MissingBackendError: ([^;]+)", str(exc))
            if not missing:
                raise
            package = _FORMAT_PACKAGES.get(artifact.suffix, "its runtime")
            raise DeviceError(
                f"{self.name}: the board cannot load {artifact.suffix} files ({missing.group(1).strip()}); "
                f"install {package}: {self.install_hint(package)}"
            ) from None
        self.pull(outs, out_npy)
        result["remote_artifact"] = model
        return result

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
