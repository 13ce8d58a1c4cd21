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

It prints aggregates only (no per-run latencies), so adb records keep percentiles, not samples.

Flicker and parity need the phone's outputs. benchmark_model gives them back with flags read in
LiteRT's source (google-ai-edge/LiteRT, tflite/tools/benchmark/benchmark_tflite_model.cc and
README.md at commits b057fa3c / 383870e0; the same code lives in later TensorFlow builds under
tensorflow/lite/tools/benchmark/):

- `--input_layer_value_files=NAME:FILE` (with `--input_layer=NAME`, `--input_layer_shape=1,H,W,C`):
  FILE holds the raw bytes of the input tensor in the model's own dtype and must be exactly the
  tensor's byte size (LoadInputTensorData aborts otherwise), so an int8/uint8 model gets quantized
  bytes. NAME only pairs the flags (a different model tensor name is a warning); a ':' in it needs
  `::` escaping in newer builds only, so a safe placeholder is used for such names.
- `--output_filepath=FILE` (OutputSaver, on benchmark end): the raw bytes of every output tensor,
  concatenated in the model's output order, in the output dtype (int8/uint8 for integer outputs):
  the outputs of the last run. With `--num_runs=1 --min_secs=0 --warmup_runs=0
  --warmup_min_secs=0` exactly one run happens (min_secs/warmup_min_secs otherwise add runs).
- Builds older than the flag (e.g. tensorflow/tensorflow at 0aa069c7) only warn
  "Unconsumed cmdline flags: --output_filepath=..." and write nothing; that is reported as a
  DeviceError naming the fix (a newer benchmark_model), and the bench keeps latency without flicker.
"""

from __future__ import annotations

import re
import shlex
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylelite.device_tests.targets.base import CommandResult, ConnectionDropped, Target, run_local, with_retries
from stylelite.runtime.errors import DeviceError

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
_UNCONSUMED = re.compile(r"Unconsumed cmdline flags:.*--output_filepath")
ONE_RUN = ["--num_runs=1", "--min_secs=0", "--warmup_runs=0", "--warmup_min_secs=0"]
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


@dataclass(frozen=True)
class TensorIO:
    """What benchmark_model's value files hold: the model's input and output tensor types."""

    input_name: str
    input_dtype: str  # float32, int8, uint8, ...
    input_quant: tuple[float, int]  # (scale, zero point); (0.0, 0) for float tensors
    output_dtype: str
    output_quant: tuple[float, int]
    inputs: int = 1
    outputs: int = 1

    @classmethod
    def of(cls, tflite: str | Path) -> TensorIO:
        """Read from the model with the LiteRT interpreter on this machine."""
        from stylelite.runtime.errors import require

        interpreter = require("ai_edge_litert.interpreter", "litert")
        try:
            interp = interpreter.Interpreter(model_path=str(tflite))
        except (ValueError, RuntimeError) as exc:
            raise DeviceError(f"{Path(tflite).name} is not a loadable TFLite model: {str(exc)[:200]}") from None
        ins, outs = interp.get_input_details(), interp.get_output_details()
        return cls(
            input_name=ins[0]["name"],
            input_dtype=np.dtype(ins[0]["dtype"]).name,
            input_quant=tuple(ins[0]["quantization"]),
            output_dtype=np.dtype(outs[0]["dtype"]).name,
            output_quant=tuple(outs[0]["quantization"]),
            inputs=len(ins),
            outputs=len(outs),
        )

    def input_bytes(self, x: np.ndarray) -> bytes:
        """float [H,W,C] in the model's input range -> the raw bytes benchmark_model reads."""
        from stylelite.runtime.engines.litert_engine import _quantize

        return np.ascontiguousarray(_quantize(x, self._details(self.input_dtype, self.input_quant))).tobytes()

    def output_values(self, raw: bytes) -> np.ndarray:
        """The raw bytes benchmark_model wrote -> float32 values (dequantized for integer outputs)."""
        from stylelite.runtime.engines.litert_engine import _dequantize

        dtype = np.dtype(self.output_dtype)
        if len(raw) % dtype.itemsize:
            raise DeviceError(f"the output file has {len(raw)} bytes, not a whole number of {dtype.name} values")
        return _dequantize(np.frombuffer(raw, dtype=dtype), self._details(self.output_dtype, self.output_quant))

    @staticmethod
    def _details(dtype: str, quant: tuple[float, int]) -> dict:
        return {"dtype": np.dtype(dtype), "quantization": quant}


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

        return with_retries(once, self.spec.retries, self.name, on_retry=self.count_retry)

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
        out = self.check(self.run(["getprop"]), "getprop").stdout  # within the device's own timeout_s
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
        self, tflite: Path, inputs: np.ndarray, delegate: str = "xnnpack", io: TensorIO | None = None
    ) -> list[np.ndarray]:
        """Run the model once on each preprocessed input on the phone; the outputs back, as float32.

        inputs: float [N,H,W,C] in the model's input range (NHWC, as LiteRT takes it); each frame
        is pushed as the raw bytes of the input tensor in the model's dtype (quantized for an
        int8/uint8 input), run through benchmark_model once (`--input_layer_value_files`,
        `--output_filepath`, see the module docstring) and its output file pulled back and
        dequantized. io: the model's tensor types (default: read from `tflite` with LiteRT here).
        """
        io = io or TensorIO.of(tflite)
        if io.inputs != 1 or io.outputs != 1:
            raise DeviceError(
                f"{tflite.name} has {io.inputs} input(s) and {io.outputs} output(s); flicker on the phone runs "
                "single-input, single-output models (a recurrent model's state cannot be carried between "
                "benchmark_model runs)"
            )
        name = io.input_name if not re.search(r"[:,\s]", io.input_name) else "input"
        remote_model = f"{self.workdir()}/{tflite.name}"
        self.push(tflite, remote_model)
        n, h, w, c = inputs.shape
        threads = [f"--num_threads={self.spec.threads}"] if self.spec.threads else []
        outs = []
        with tempfile.TemporaryDirectory() as tmp:
            for i, x in enumerate(inputs):
                src, dst = Path(tmp) / f"in_{i:04d}.bin", Path(tmp) / f"out_{i:04d}.bin"
                src.write_bytes(io.input_bytes(x))
                r_in, r_out = f"{self.workdir()}/{src.name}", f"{self.workdir()}/{dst.name}"
                self.push(src, r_in)
                argv = [
                    self.tool(),
                    f"--graph={remote_model}",
                    f"--input_layer={name}",
                    f"--input_layer_shape=1,{h},{w},{c}",
                    f"--input_layer_value_files={name}:{r_in}",
                    f"--output_filepath={r_out}",
                    *ONE_RUN,
                    *threads,
                    *DELEGATE_FLAGS[delegate],
                ]
                res = self.run(argv)
                if _UNCONSUMED.search(res.stdout + res.stderr):
                    raise DeviceError(
                        f"{self.name}: this benchmark_model build has no --output_filepath flag, so the phone's "
                        "outputs cannot come back (no flicker or parity); use a current LiteRT benchmark_model"
                    )
                self.check(res, f"benchmark_model on frame {i}")
                self.pull(r_out, dst)
                outs.append(io.output_values(dst.read_bytes()))
                self.run(["rm", "-f", r_in, r_out], timeout_s=60)
        return outs
