"""int8 where it pays: the per-conv probe and `export --precision auto`, which follows it."""

import dataclasses

import onnx
import pytest

from stylelite.export import int8_layers
from stylelite.export.api import export_model
from stylelite.export.int8_layers import LayerTiming, int8_nodes, measure_int8_layers, probe_summary, sweep
from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ConfigError
from tests.conftest import make_photo, run_cli


@pytest.fixture(scope="module")
def real_frames():
    from stylelite.runtime.synthetic import make_camera_clip

    return make_camera_clip(make_photo(seed=5), frames=8, size=(96, 72))


@pytest.fixture(scope="module")
def fp32_graph(tmp_path_factory):
    out = tmp_path_factory.mktemp("int8") / "s.onnx"
    return export_model("shufflegen_t_038", out).path


def _convs(path) -> list[str]:
    return [n.name for n in onnx.load(str(path)).graph.node if n.op_type == "Conv"]


def test_probe_times_every_conv_at_the_activation_size_it_sees(fp32_graph):
    timings = measure_int8_layers(fp32_graph, 64, 48, threads=1, min_seconds=0.02, rounds=2)
    assert [t.node for t in timings] == _convs(fp32_graph)
    stem, body = timings[0], timings[1]
    assert (stem.cin, stem.cout, stem.kernel, stem.stride, stem.out_w, stem.out_h) == (3, 24, 4, 4, 16, 12)
    assert (body.kernel, body.stride, body.out_w, body.out_h) == (3, 1, 16, 12)
    assert stem.mmacs == pytest.approx(24 * 16 * 12 * 3 * 16 / 1e6)
    assert all(t.fp32_ms > 0 and t.int8_ms > 0 and t.speedup > 0 for t in timings)
    assert LayerTiming.from_dict(timings[0].to_dict()) == timings[0]


def test_sweep_times_the_usual_student_layers():
    (dense,) = sweep(32, 24, threads=1, layers=((8, 16, 3, 1, 1),), min_seconds=0.02, rounds=2)
    assert (dense.cin, dense.cout, dense.out_w, dense.out_h) == (8, 16, 32, 24)
    assert dense.mmacs == pytest.approx(16 * 32 * 24 * 8 * 9 / 1e6) and dense.fp32_ms > 0


def test_int8_nodes_are_the_convs_that_pay_with_their_fused_relu(fp32_graph):
    timings = measure_int8_layers(fp32_graph, 32, 32, threads=1, min_seconds=0.01, rounds=1)
    fast = {timings[1].node}  # the first body conv, followed by its Relu
    timings = [dataclasses.replace(t, int8_ms=t.fp32_ms * (0.5 if t.node in fast else 2.0)) for t in timings]
    nodes = int8_nodes(fp32_graph, timings)
    assert nodes[0] == timings[1].node and len(nodes) == 2 and nodes[1].endswith("Relu")


def _measured_with(speedup_of):
    """The real probe, its int8 times then set from `speedup_of(node)`: the export's decision, not the
    machine's noise, is under test."""
    real = int8_layers.measure_int8_layers

    def measure(path, width, height, threads=0, **_):
        timings = real(path, width, height, threads=1, min_seconds=0.01, rounds=1)
        return [dataclasses.replace(t, int8_ms=t.fp32_ms / speedup_of(t.node)) for t in timings]

    return measure


def _export_auto(monkeypatch, frames, out, speedup_of, whole: float | None = None):
    """`--precision auto` at 64x64 with the layer probe's int8 times set by `speedup_of` (and the whole
    graph's speedup set to `whole`, unless None)."""
    monkeypatch.setattr(int8_layers, "measure_int8_layers", _measured_with(speedup_of))
    if whole is not None:
        monkeypatch.setattr(int8_layers, "model_speedup", lambda *a: whole)
    return export_model("shufflegen_t_038", out, precision="auto", calib=frames, dynamic=False, sample_size=64)


def test_auto_quantizes_only_the_convs_measured_faster(monkeypatch, real_frames, tmp_path):
    res = _export_auto(monkeypatch, real_frames, tmp_path / "a.onnx", lambda n: 1.5 if "head" in n else 0.8, whole=1.2)
    meta = load_engine(res.path).meta
    assert meta.precision == "int8" and res.verification.passed
    assert meta.quantization["int8_nodes"] == ["/head/Conv"]
    probe = meta.int8_probe
    assert probe["chosen"] == "int8" and probe["size"] == "64x64" and len(probe["layers"]) == len(_convs(res.path))
    graph = onnx.load(str(res.path)).graph
    quantized_weights = {n.input[1] for n in graph.node if n.op_type == "Conv" and "DequantizeLinear" in n.input[1]}
    assert quantized_weights == {"head.weight_DequantizeLinear_Output"}
    assert probe["model_speedup"] == 1.2 and "int8 on 1 of" in probe_summary(probe)


def test_auto_fuses_a_bounded_students_clips_into_its_int8_convs(monkeypatch, real_frames, tmp_path):
    """A QAT student's activation bounds are Clips (its Relus folded into them): auto hands them to the quantizer
    with their convs, so each conv's output is quantized once, on its bounds, as in the full int8 export (left
    out, the conv's raw range was quantized before the Clip: 37.8 dB to PyTorch against 47.4)."""
    monkeypatch.setattr(int8_layers, "measure_int8_layers", _measured_with(lambda n: 0.6 if "stem" in n else 2.0))
    monkeypatch.setattr(int8_layers, "model_speedup", lambda *a: 1.5)
    name = "shufflegen_t_050.cartoon_int8"
    auto = export_model(name, tmp_path / "a.onnx", precision="auto", calib=real_frames)
    full = export_model(name, tmp_path / "f.onnx", precision="int8", calib=real_frames)
    chosen = auto.metadata.quantization["int8_nodes"]
    assert "/stem/stem.0/Conv" not in chosen and sum(n.endswith("Conv") for n in chosen) == 9
    assert sum("Clip" in n for n in chosen) >= 9  # each conv's bound goes with it
    frame = make_photo(96, 128, seed=11)
    a, f = load_engine(auto.path).stylize(frame), load_engine(full.path).stylize(frame)
    from stylelite.runtime.metrics import psnr

    assert auto.verification.psnr_db > 44 and psnr(a, f) > 40  # measured: 47.4 dB, and the same picture


def test_auto_stays_fp32_when_the_whole_graph_is_not_faster(monkeypatch, real_frames, tmp_path):
    res = _export_auto(monkeypatch, real_frames, tmp_path / "a.onnx", lambda n: 1.5 if "head" in n else 0.8, whole=0.9)
    meta = load_engine(res.path).meta
    assert meta.precision == "fp32" and meta.quantization == {}
    assert not {"QuantizeLinear", "DequantizeLinear"} & {n.op_type for n in onnx.load(str(res.path)).graph.node}
    assert "but the whole graph only 0.90x" in probe_summary(meta.int8_probe)


def test_model_speedup_times_two_whole_graphs(fp32_graph, real_frames, tmp_path):
    res = export_model("shufflegen_t_038", tmp_path / "q.onnx", precision="int8", calib=real_frames)
    assert int8_layers.model_speedup(fp32_graph, res.path, 32, 24, threads=1) > 0


def test_auto_exports_fp32_when_int8_speeds_up_nothing(monkeypatch, real_frames, tmp_path):
    res = _export_auto(monkeypatch, real_frames, tmp_path / "a.onnx", lambda n: 0.9)
    meta = load_engine(res.path).meta
    assert meta.precision == "fp32" and meta.int8_probe["chosen"] == "fp32"
    assert not {"QuantizeLinear", "DequantizeLinear"} & {n.op_type for n in onnx.load(str(res.path)).graph.node}
    assert probe_summary(meta.int8_probe).startswith("precision auto: fp32; int8 sped up none")


@pytest.mark.slow  # times every conv of a real export (~16 s); the auto logic is tested through the API above
def test_cli_auto_prints_the_probe_and_follows_it(clip_path, tmp_path):
    out = tmp_path / "auto.onnx"
    args = ("--precision", "auto", "--calib", str(clip_path), "--threads", "1", "-o", str(out))
    r = run_cli("export", "shufflegen_t_038", *args)
    assert r.returncode == 0, r.stderr
    assert "precision auto:" in r.stdout and "speedup" in r.stdout and "choice" in r.stdout
    meta = load_engine(out).meta
    probe = meta.int8_probe
    assert probe["size"] == "640x480" and probe["threads"] == 1
    pays = [d for d in probe["layers"] if d["speedup"] >= probe["min_speedup"]]
    whole = probe.get("model_speedup", 0.0)
    assert meta.precision == ("int8" if pays and whole >= probe["min_speedup"] else "fp32") == probe["chosen"]


def test_auto_is_onnx_only_and_needs_calibration(tmp_path):
    with pytest.raises(ConfigError, match="--precision auto times onnxruntime kernels; for TFLite"):
        export_model("shufflegen_t_038", tmp_path / "a.tflite", precision="auto", format="tflite", dynamic=False)
    with pytest.raises(ConfigError, match="int8 needs real calibration frames"):
        export_model("shufflegen_t_038", tmp_path / "a.onnx", precision="auto")
    with pytest.raises(ConfigError, match="threads=-1: use a whole number >= 0"):
        export_model("shufflegen_t_038", tmp_path / "a.onnx", precision="auto", threads=-1)
    assert not list(tmp_path.iterdir())
