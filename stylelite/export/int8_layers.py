"""Where int8 pays: each convolution of an fp32 ONNX graph timed alone in fp32 and in int8 QDQ.

onnxruntime on a CPU without int8 dot-product instructions (AVX2 without VNNI, like this project's
2-core machine) runs u8s8 convolutions at about the speed of fp32 ones, and the Quantize/Dequantize
pairs around a layer cost memory traffic of their own; on VNNI/AMX or ARM dot-product cores int8 pays
more. So the choice is measured, not assumed: every Conv is cut out with its weights, the activation
shape it sees at the export size and the Relu that fuses into it, quantized the way the exporter
quantizes (onnx2int8.QUANTIZER_OPTIONS), and timed in both precisions in alternating rounds on this
machine with the engine's threads. `int8_nodes` names the convs int8 speeds up (with the Relus and
bound Clips that fuse into them); `stylelite export --precision auto` quantizes those, leaves the rest
float, and keeps the result only if the whole graph is faster too (`model_speedup`).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from stylelite.runtime.errors import ExportError

MIN_SPEEDUP = 1.05  # int8 must beat fp32 by this much to be chosen: ties go to float (exact, no QDQ)


@dataclass(frozen=True)
class LayerTiming:
    """One convolution at the probe size, timed alone in both precisions."""

    node: str
    cin: int
    cout: int
    kernel: int
    stride: int
    groups: int
    out_h: int
    out_w: int
    mmacs: float  # multiply-accumulates of this layer at the probe size, millions
    fp32_ms: float
    int8_ms: float

    @property
    def speedup(self) -> float:
        return self.fp32_ms / self.int8_ms if self.int8_ms > 0 else 0.0

    def to_dict(self) -> dict:
        return {**asdict(self), "speedup": round(self.speedup, 3)}

    @classmethod
    def from_dict(cls, d: dict) -> LayerTiming:
        return cls(**{k: d[k] for k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class _Conv:
    node: object  # onnx.NodeProto
    weight: np.ndarray
    bias: np.ndarray | None
    in_shape: tuple[int, int, int, int]
    out_shape: tuple[int, int, int, int]
    relu: bool


def measure_int8_layers(
    fp32_path: str | Path, width: int, height: int, threads: int = 0, min_seconds: float = 0.4, rounds: int = 5
) -> list[LayerTiming]:
    """Every Conv of the fp32 graph at `path`, fed a `width` x `height` frame, timed in fp32 and int8."""
    convs = _convs(fp32_path, width, height)
    if not convs:
        raise ExportError(f"{Path(fp32_path).name} has no Conv layers to quantize")
    with tempfile.TemporaryDirectory(prefix="stylelite-int8-layers-") as tmp:
        return [_time_layer(c, Path(tmp) / str(i), threads, min_seconds, rounds) for i, c in enumerate(convs)]


# (cin, cout, kernel, stride, groups) of the layers student designs are made of, for `sweep`
SWEEP_LAYERS = (
    (3, 32, 4, 4, 1),  # patchify stem
    (16, 16, 3, 1, 1),
    (32, 32, 3, 1, 1),
    (64, 64, 3, 1, 1),
    (128, 128, 3, 1, 1),
    (64, 64, 3, 1, 64),  # depthwise
    (32, 128, 1, 1, 1),  # pointwise expand
    (128, 32, 1, 1, 1),  # pointwise project
)


def sweep(width: int, height: int, threads: int = 0, layers=SWEEP_LAYERS, **timing) -> list[LayerTiming]:
    """The usual student layers (Conv + Relu, random weights) on a `width` x `height` activation
    (the stem on a 3-channel frame of that size), timed in fp32 and int8."""
    rng = np.random.default_rng(0)
    convs = []
    for cin, cout, k, stride, groups in layers:
        node = _conv_node(f"{cin}->{cout} k{k} s{stride} g{groups}", k, stride, groups)
        weight = (rng.standard_normal((cout, cin // groups, k, k)) * (2.0 / (cin // groups * k * k)) ** 0.5).astype(
            np.float32
        )
        out_h, out_w = height // stride, width // stride
        convs.append(
            _Conv(node, weight, np.zeros(cout, np.float32), (1, cin, height, width), (1, cout, out_h, out_w), True)
        )
    with tempfile.TemporaryDirectory(prefix="stylelite-int8-sweep-") as tmp:
        return [_time_layer(c, Path(tmp) / str(i), threads, **timing) for i, c in enumerate(convs)]


def _conv_node(name: str, k: int, stride: int, groups: int):
    from onnx import helper

    pad = (k - 1) // 2 if stride == 1 else 0
    return helper.make_node(
        "Conv",
        ["x", "w", "b"],
        ["y"],
        name=name,
        kernel_shape=[k, k],
        strides=[stride, stride],
        pads=[pad] * 4,
        group=groups,
    )


def model_speedup(fp32_path: str | Path, int8_path: str | Path, width: int, height: int, threads: int = 0) -> float:
    """fp32 time over int8 time of two whole graphs on one `width` x `height` frame, timed in alternating
    rounds: the check on the per-layer choice (QDQ pairs between layers cost what no single layer shows)."""
    feed = {"image": np.random.default_rng(0).random((1, 3, height, width), dtype=np.float32)}
    fp32_s, int8_s = _alternating_medians([_session(Path(p), threads) for p in (fp32_path, int8_path)], feed, 1.0, 5)
    return fp32_s / int8_s


def int8_nodes(fp32_path: str | Path, timings: list[LayerTiming], min_speedup: float = MIN_SPEEDUP) -> list[str]:
    """The convs int8 makes at least `min_speedup` times faster, each with the Relu that fuses into it:
    the nodes the int8 exporter quantizes (`--precision auto`); everything else stays float."""
    return with_fused_relus(fp32_path, {t.node for t in timings if t.speedup >= min_speedup})


def with_fused_relus(fp32_path: str | Path, convs: set[str]) -> list[str]:
    """The Conv nodes named in `convs`, in graph order, each followed by the Relus and Clips that fuse into it (a
    chain of them, each its predecessor's only consumer): the node list to hand the quantizer. A Clip is a
    student's activation bound (a Relu folded into it, too): left out, the conv's output would be quantized on
    its calibrated range before the Clip and again after it (measured: 37.8 dB to PyTorch against 47.4 for the
    fastest int8 student)."""
    import onnx

    graph = onnx.load(str(fp32_path)).graph
    consumers: dict[str, list] = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    nodes = []
    for n in graph.node:
        if n.op_type == "Conv" and n.name in convs:
            nodes.append(n.name)
            after = consumers.get(n.output[0], [])
            while len(after) == 1 and after[0].op_type in ("Relu", "Clip"):
                nodes.append(after[0].name)
                after = consumers.get(after[0].output[0], [])
    return nodes


def probe_summary(probe: dict) -> str:
    """What `--precision auto` chose and why, under the per-layer table (probe: the artifact's
    metadata extra `int8_probe`)."""
    timings = [LayerTiming.from_dict(d) for d in probe["layers"]]
    faster = [t for t in timings if t.speedup >= probe["min_speedup"]]
    best = max(timings, key=lambda t: t.speedup)
    where = f"here at {probe['size']}, {probe.get('threads') or 'default'} threads"
    whole = probe.get("model_speedup")
    if probe["chosen"] == "int8":
        head = (
            f"precision auto: int8 on {len(faster)} of {len(timings)} convs (those at least "
            f"{probe['min_speedup']:.2f}x faster in int8 {where}), the rest float; the whole graph {whole:.2f}x"
        )
    elif faster:
        head = (
            f"precision auto: fp32; int8 sped up {len(faster)} of {len(timings)} convs {where}, but the "
            f"whole graph only {whole:.2f}x (the QDQ pairs between layers cost the gain)"
        )
    else:
        head = (
            f"precision auto: fp32; int8 sped up none of the {len(timings)} convs {where} "
            f"(best {best.speedup:.2f}x, {best.node})"
        )
    return head + "\n" + timing_table(timings, probe["min_speedup"])


def timing_table(timings: list[LayerTiming], min_speedup: float = MIN_SPEEDUP) -> str:
    """A fixed-width table of the probe, one row per conv, with the choice made."""
    rows = [("layer", "conv", "out", "MMAC", "fp32 ms", "int8 ms", "speedup", "choice")]
    for t in timings:
        conv = f"{t.cin}->{t.cout} {t.kernel}x{t.kernel}/{t.stride}" + (f" g{t.groups}" if t.groups > 1 else "")
        rows.append(
            (
                t.node,
                conv,
                f"{t.out_w}x{t.out_h}",
                f"{t.mmacs:.0f}",
                f"{t.fp32_ms:.2f}",
                f"{t.int8_ms:.2f}",
                f"{t.speedup:.2f}",
                "int8" if t.speedup >= min_speedup else "float",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _convs(path: str | Path, width: int, height: int) -> list[_Conv]:
    """The graph's Convs with their weights and the activation shapes at 1x3xHxW."""
    import onnx
    from onnx import numpy_helper, shape_inference

    model = onnx.load(str(path))
    graph = model.graph
    dims = graph.input[0].type.tensor_type.shape.dim
    for d, v in zip(dims, (1, 3, height, width)):
        d.ClearField("dim_param")
        d.dim_value = v
    for out in graph.output:  # let inference recompute the output shape
        out.type.tensor_type.ClearField("shape")
    inferred = shape_inference.infer_shapes(model, data_prop=True).graph
    shapes = {
        v.name: tuple(d.dim_value for d in v.type.tensor_type.shape.dim)
        for v in (*inferred.value_info, *inferred.input, *inferred.output)
    }
    inits = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    consumers: dict[str, list] = {}
    for n in graph.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    convs = []
    for n in graph.node:
        if n.op_type != "Conv" or n.input[1] not in inits:
            continue
        x_shape, y_shape = shapes.get(n.input[0]), shapes.get(n.output[0])
        if not x_shape or not y_shape or len(x_shape) != 4 or 0 in x_shape or 0 in y_shape:
            raise ExportError(f"could not infer the activation shape of {n.name} at {width}x{height}")
        after = consumers.get(n.output[0], [])
        relu = len(after) == 1 and after[0].op_type == "Relu"
        bias = inits.get(n.input[2]) if len(n.input) > 2 else None
        convs.append(_Conv(n, inits[n.input[1]], bias, x_shape, y_shape, relu))
    return convs


def _single_conv(conv: _Conv):
    """A graph holding only this conv (and its fused Relu), with its real weights."""
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(conv.weight.astype(np.float32), "w")]
    inputs = ["x", "w"]
    if conv.bias is not None:
        inits.append(numpy_helper.from_array(conv.bias.astype(np.float32), "b"))
        inputs.append("b")
    attrs = {a.name: helper.get_attribute_value(a) for a in conv.node.attribute}
    nodes = [helper.make_node("Conv", inputs, ["c" if conv.relu else "y"], name="conv", **attrs)]
    if conv.relu:
        nodes.append(helper.make_node("Relu", ["c"], ["y"], name="relu"))
    graph = helper.make_graph(
        nodes,
        "layer",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(conv.in_shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(conv.out_shape))],
        initializer=inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _time_layer(conv: _Conv, stem: Path, threads: int, min_seconds: float = 0.4, rounds: int = 5) -> LayerTiming:
    """Time one conv; its two graphs are written as `<stem>_fp32.onnx` and `<stem>_int8.onnx`."""
    import onnx

    from stylelite.export.onnx2int8 import quantize_qdq

    fp32, int8 = stem.with_name(f"{stem.name}_fp32.onnx"), stem.with_name(f"{stem.name}_int8.onnx")
    onnx.save(_single_conv(conv), str(fp32))
    rng = np.random.default_rng(0)
    x = rng.random(conv.in_shape, dtype=np.float32)  # post-ReLU-like activations in [0, 1)
    quantize_qdq(fp32, int8, [{"x": x}])
    sessions = [_session(p, threads) for p in (fp32, int8)]
    per_call = _alternating_medians(sessions, {"x": x}, min_seconds, rounds)
    w = conv.weight.shape  # [cout, cin/groups, k, k]
    groups = int(next((a.i for a in conv.node.attribute if a.name == "group"), 1) or 1)
    strides = next((list(a.ints) for a in conv.node.attribute if a.name == "strides"), [1, 1])
    _, cout, oh, ow = conv.out_shape
    return LayerTiming(
        node=conv.node.name or conv.node.output[0],
        cin=conv.in_shape[1],
        cout=cout,
        kernel=int(w[2]),
        stride=int(strides[0]),
        groups=groups,
        out_h=oh,
        out_w=ow,
        mmacs=cout * oh * ow * int(w[1]) * int(w[2]) * int(w[3]) / 1e6,
        fp32_ms=per_call[0] * 1000,
        int8_ms=per_call[1] * 1000,
    )


def _session(path: Path, threads: int):
    import onnxruntime as ort

    opts = ort.SessionOptions()
    if threads:
        opts.intra_op_num_threads = threads
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _alternating_medians(sessions: list, feed: dict, min_seconds: float, rounds: int) -> list[float]:
    """Median seconds per call of each session, timed in alternating rounds so that the machine's
    drift (another process, clock changes) falls on both alike."""
    for s in sessions:  # warm up: allocations, kernel selection
        s.run(None, feed)
        s.run(None, feed)
    t0 = time.perf_counter()
    sessions[0].run(None, feed)
    one = max(time.perf_counter() - t0, 1e-5)
    calls = max(1, int(min_seconds / rounds / one))
    samples: list[list[float]] = [[] for _ in sessions]
    for _ in range(rounds):
        for i, s in enumerate(sessions):
            t0 = time.perf_counter()
            for _ in range(calls):
                s.run(None, feed)
            samples[i].append((time.perf_counter() - t0) / calls)
    return [statistics.median(s) for s in samples]


def main(argv: list[str] | None = None) -> None:
    """`python -m stylelite.export.int8_layers [MODEL.onnx] [--size 640x480] [--threads N]`: the int8
    probe of a model's convs, or (no model) of the usual student layers at full and 1/4 resolution."""
    import argparse

    p = argparse.ArgumentParser(prog="python -m stylelite.export.int8_layers", description=main.__doc__)
    p.add_argument("model", nargs="?", help="an fp32 ONNX file (default: the layer sweep)")
    p.add_argument("--size", default="640x480", help="frame size WxH (default 640x480)")
    p.add_argument("--threads", type=int, default=0, help="inference threads (0: onnxruntime's default)")
    args = p.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))
    if args.model:
        print(timing_table(measure_int8_layers(args.model, width, height, args.threads)))
        return
    for w, h, where in ((width, height, "full"), (width // 4, height // 4, "1/4")):
        print(f"{where} resolution ({w}x{h}), {args.threads or 'default'} threads:")
        print(timing_table(sweep(w, h, args.threads)), end="\n\n")


if __name__ == "__main__":
    main()
