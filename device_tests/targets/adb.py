"""The `adb` target: an Android phone, measured with LiteRT's `benchmark_model` tool.

The tool's path comes from the inventory (`benchmark_model = "..."`); the harness never
downloads binaries. Every adb call is an argument list (`adb -s SERIAL push|shell|pull ...`);
the shell command for the phone is joined with shlex quoting.

benchmark_model prints (optionally prefixed with `INFO: `):

    count=50 first=1249964 curr=1240143 min=1238588 max=1252566 avg=1.24027e+06 std=2565 p5=... median=... p95=...
    Inference timings in us: Init: 5579, First inference: 1357602, Warmup (avg): 1.3576e+06, \
        Inference (avg): 1.24027e+06      (one line)
    Memory footprint delta from the start of the tool (MB): init=6.36328 overall=109.832
    Peak memory footprint (MB): init=4.92969 overall=138.809
"""

from __future__ import annotations

import re
import shlex
import tempfile
import uuid
from pathlib import Path

import numpy as np

from device_tests.targets.base import CommandResult, ConnectionDropped, Target, run_local, with_retries
from runtime.errors import DeviceError

_NUM = r"([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
_TIMINGS = re.compile(
    rf"Inference timings in us: Init: {_NUM}, First inference: {_NUM}, "
    rf"Warmup \(avg\): {_NUM}, Inference \(avg\): {_NUM}"
)
_COUNT = re.compile(r"^(?:\w+:\s*)?count=(\d+)\s+(.*)$", re.M)
_KV = re.compile(rf"(\w+)={_NUM}")
_MEM_DELTA = re.compile(rf"Memory footprint delta from the start of the tool \(MB\): init={_NUM} overall={_NUM}")
_MEM_PEAK = re.compile(rf"Peak memory footprint \(MB\): init={_NUM} overall={_NUM}")
_MEM_MONITOR = re.compile(rf"Overall peak memory footprint \(MB\) via periodic monitoring: {_NUM}")
_OFFLINE = re.compile(r"device offline|no devices/emulators found|device '[^']*' not found|unauthorized|closed")
DELEGATE_FLAGS = {
    "cpu": ["--use_xnnpack=false"],
    "xnnpack": ["--use_xnnpack=true"],
    "gpu": ["--use_gpu=true"],
    "nnapi": ["--use_nnapi=true"],
}
GETPROPS = {
    "manufacturer": "ro.product.manufacturer",
    "model": "ro.product.model",
    "android": "ro.build.version.release",
    "sdk": "ro.build.version.sdk",
    "soc": "ro.soc.model",
    "soc_manufacturer": "ro.soc.manufacturer",
    "platform": "ro.board.platform",
    "abi": "ro.product.cpu.abi",
}


def parse_benchmark_model(output: str) -> dict:
    """Timing (ms) and memory (MB) from benchmark_model's output; DeviceError when it has none."""
    m = _TIMINGS.search(output)
    if not m:
        err = next((ln for ln in output.splitlines() if "ERROR" in ln or "Failed" in ln), "")
        raise DeviceError(f"benchmark_model printed no 'Inference timings' line{': ' + err.strip() if err else ''}")
    init, first, warm, avg = (float(v) / 1000.0 for v in m.groups())
    result: dict = {"init_ms": init, "first_ms": first, "warmup_avg_ms": warm}
    lat = {"mean": avg}
    counts = _COUNT.findall(output)
    if counts:  # the last count= line is the timed run (the earlier one is the warm-up)
        n, rest = counts[-1]
        kv = {k: float(v) / 1000.0 for k, v in _KV.findall(rest)}
        lat.update({k: kv[k] for k in ("min", "max", "std") if k in kv})
        if "median" in kv:
            lat["p50"] = kv["median"]
        if "p95" in kv:
            lat["p95"] = kv["p95"]
        lat["n"] = int(n)
    result["latency_ms"] = lat
    result["fps"] = 1000.0 / avg if avg > 0 else 0.0
    for rx, key in ((_MEM_DELTA, "memory_delta_mb"), (_MEM_PEAK, "peak_memory_mb")):
        mm = rx.search(output)
        if mm:
            result[key] = {"init": float(mm.group(1)), "overall": float(mm.group(2))}
    mm = _MEM_MONITOR.search(output)
    if mm:
        result["peak_memory_monitored_mb"] = float(mm.group(1))
    return result


class AdbTarget(Target):
    kind = "adb"
    device_dir = "/data/local/tmp"

    def __init__(self, spec) -> None:
        super().__init__(spec)
        self._tool: str | None = None
        self._workdir: str | None = None

    def _adb(self, args: list[str], timeout_s: float | None = None) -> CommandResult:
        argv = [self.spec.adb, "-s", self.spec.serial, *args]

        def once() -> CommandResult:
            res = run_local(argv, timeout_s or self.spec.timeout_s)
            if res.returncode != 0 and _OFFLINE.search(res.stderr):
                if "unauthorized" in res.stderr:
                    raise DeviceError(f"{self.name}: accept the USB debugging prompt on the phone, then retry")
                raise ConnectionDropped(f"adb {self.spec.serial}: {res.last_line()}")
            return res

        return with_retries(once, self.spec.retries, self.name)

    def push(self, local: str | Path, remote: str) -> None:
        self.check(self._adb(["push", str(local), remote]), f"adb push {Path(local).name}")

    def pull(self, remote: str, local: str | Path) -> None:
        Path(local).parent.mkdir(parents=True, exist_ok=True)
        self.check(self._adb(["pull", remote, str(local)]), f"adb pull {Path(remote).name}")

    def run(self, argv: list[str], timeout_s: float | None = None, env: dict[str, str] | None = None) -> CommandResult:
        prefix = ["env", *(f"{k}={v}" for k, v in env.items())] if env else []
        return self._adb(["shell", shlex.join(prefix + [str(a) for a in argv])], timeout_s)

    def make_workdir(self) -> str:
        path = f"{self.device_dir}/stylelite-{uuid.uuid4().hex[:8]}"
        self.check(self.run(["mkdir", "-p", path]), "mkdir")
        return path

    def workdir(self) -> str:
        if self._workdir is None:
            self._workdir = self.make_workdir()
        return self._workdir

    def close(self) -> None:
        if self._workdir is not None:
            self.remove_workdir(self._workdir)
            self._workdir = None

    def facts(self) -> dict:
        out = self.check(self.run(["getprop"], timeout_s=30), "getprop").stdout
        props = dict(re.findall(r"^\[([^\]]+)\]: \[([^\]]*)\]", out, re.M))
        facts = {k: props[p] for k, p in GETPROPS.items() if props.get(p)}
        return {"device": self.name, "kind": self.kind, "serial": self.spec.serial, **facts}

    def tool(self) -> str:
        """benchmark_model on the phone (pushed once from the inventory's path)."""
        if self._tool is None:
            local = Path(self.spec.benchmark_model)
            if not self.spec.benchmark_model or not local.is_file():
                raise DeviceError(
                    f"{self.name}: set `benchmark_model` in the inventory to LiteRT's benchmark_model binary "
                    "for this phone's ABI (stylelite does not download it)"
                )
            remote = f"{self.workdir()}/benchmark_model"
            self.push(local, remote)
            self.check(self.run(["chmod", "755", remote]), "chmod benchmark_model")
            self._tool = remote
        return self._tool

    def benchmark(self, tflite: Path, delegate: str, runs: int = 50, warmup: int = 5) -> dict:
        """Time `tflite` on the phone with one delegate (cpu, xnnpack, gpu, nnapi)."""
        remote = f"{self.workdir()}/{tflite.name}"
        self.push(tflite, remote)
        argv = [self.tool(), f"--graph={remote}", f"--num_runs={runs}", f"--warmup_runs={warmup}"]
        if self.spec.threads:
            argv.append(f"--num_threads={self.spec.threads}")
        res = self.run(argv + DELEGATE_FLAGS[delegate])
        text = res.stdout + "\n" + res.stderr
        if res.returncode != 0 and not _TIMINGS.search(text):
            raise DeviceError(f"{self.name}: benchmark_model ({delegate}) failed: {res.last_line()}")
        return {**parse_benchmark_model(text), "delegate": delegate}

    def stylize_frames(
        self, tflite: Path, inputs: np.ndarray, input_name: str = "input", delegate: str = "xnnpack"
    ) -> list[np.ndarray]:
        """Run the model on each preprocessed input (float32 [N,H,W,C]) on the phone; raw outputs back.

        Each frame is pushed as a raw float32 file, run once through benchmark_model
        (`--input_layer_value_files`, `--output_filepath`) and its output pulled back.
        """
        remote_model = f"{self.workdir()}/{tflite.name}"
        self.push(tflite, remote_model)
        n, h, w, c = inputs.shape
        outs = []
        with tempfile.TemporaryDirectory() as tmp:
            for i, x in enumerate(inputs):
                src, dst = Path(tmp) / f"in_{i:04d}.bin", Path(tmp) / f"out_{i:04d}.bin"
                np.ascontiguousarray(x, dtype=np.float32).tofile(src)
                r_in, r_out = f"{self.workdir()}/{src.name}", f"{self.workdir()}/{dst.name}"
                self.push(src, r_in)
                argv = [
                    self.tool(),
                    f"--graph={remote_model}",
                    f"--input_layer={input_name}",
                    f"--input_layer_shape=1,{h},{w},{c}",
                    f"--input_layer_value_files={input_name}:{r_in}",
                    f"--output_filepath={r_out}",
                    "--num_runs=1",
                    "--warmup_runs=0",
                    *DELEGATE_FLAGS[delegate],
                ]
                self.check(self.run(argv), f"benchmark_model on frame {i}")
                self.pull(r_out, dst)
                outs.append(np.fromfile(dst, dtype=np.float32))
        return outs
