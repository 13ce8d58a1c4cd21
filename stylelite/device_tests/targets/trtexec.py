"""TensorRT's `trtexec` on a board: build an engine from the ONNX file, parse its performance summary.

trtexec prints (after `=== Performance summary ===`, each line prefixed with `[date-time] [I] `):

    Throughput: 120.699 qps
    Latency: min = 9.11414 ms, max = 11.7442 ms, mean = 9.81005 ms, median = 9.76404 ms,
             percentile(90%) = 10.1075 ms, percentile(95%) = 10.1624 ms, percentile(99%) = 11.4742 ms
"""

from __future__ import annotations

import re

from stylelite.runtime.errors import DeviceError

_NUM = r"([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
_THROUGHPUT = re.compile(rf"Throughput:\s*{_NUM}\s*qps")
_LATENCY = re.compile(r"^(?:\[[^\]]*\]\s*)*Latency:\s*(min\s*=.*)$", re.M)  # not "H2D Latency:"
_FIELD = re.compile(rf"(min|max|mean|median|percentile\((\d+(?:\.\d+)?)%\))\s*=\s*{_NUM}\s*ms")


def parse_trtexec(output: str) -> dict:
    """{"fps", "latency_ms": {min, max, mean, p50, p90, p95, p99}} from trtexec's performance summary.

    The end-to-end `Latency:` line is used (not `H2D Latency:`/`D2H Latency:`).
    """
    m = _THROUGHPUT.search(output)
    lat_match = _LATENCY.search(output)
    lat_line = lat_match.group(1) if lat_match else None
    if not m or lat_line is None:
        raise DeviceError("trtexec printed no performance summary (no 'Throughput:'/'Latency:' lines)")
    lat: dict[str, float] = {}
    for name, pct, value in _FIELD.findall(lat_line):
        key = {"median": "p50"}.get(name, name) if not pct else f"p{float(pct):g}"
        lat[key] = float(value)
    return {"fps": float(m.group(1)), "latency_ms": lat}


def trtexec_argv(
    trtexec: str, onnx: str, engine: str, input_name: str, shape: tuple[int, ...], fp16: bool
) -> list[str]:
    """Build the engine for one input shape and time it (`--shapes` pins a dynamic H/W)."""
    dims = "x".join(str(d) for d in shape)
    argv = [trtexec, f"--onnx={onnx}", f"--saveEngine={engine}", f"--shapes={input_name}:{dims}"]
    return argv + (["--fp16"] if fp16 else [])
