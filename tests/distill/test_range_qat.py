"""Range-learning QAT (`--qat-engine ranges`): the simulation is the exporter's int8, and its ranges ship as
activation bounds that every export keeps."""

import json

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

from stylelite.distill.range_qat import prepare_range_qat
from stylelite.export.api import export_loaded
from stylelite.export.export_config import Calibration, ExportConfig
from stylelite.models.load import load_model
from stylelite.models.registry import create_student
from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import CheckpointError, ConfigError
from stylelite.runtime.metrics import psnr
from tests.conftest import run_cli


def _as_input(frame: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 127.5 - 1


@pytest.fixture(scope="module")
def photos():
    from stylelite.distill.photos import builtin_photos

    return [np.ascontiguousarray(p[:128, :160]) for p in builtin_photos("train").values()]


@pytest.fixture(scope="module")
def bounded(photos):
    """The shipped fastest student through prepare_range_qat (no training): its float copy with the bounds."""
    loaded = load_model("shufflegen_t_050.cartoon")
    qat = prepare_range_qat(loaded.model, [_as_input(p) for p in photos])
    net = qat.net
    net.set_activation_bounds(qat.activation_bounds())
    return qat.eval(), net.eval(), loaded.identity


def _export(net, identity, out, precision, photos):
    calib = Calibration(photos[:3], photos[3:4], "photos") if precision == "int8" else None
    return export_loaded(net, identity, out, ExportConfig(precision=precision), calibration=calib)


def test_the_simulation_is_what_onnxruntime_runs_and_fp32_keeps_the_bounds(bounded, photos, tmp_path):
    qat, net, identity = bounded
    int8 = load_engine(_export(net, identity, tmp_path / "q.onnx", "int8", photos).path)
    fp32 = load_engine(_export(net, identity, tmp_path / "f.onnx", "fp32", photos).path)
    frame = photos[-1]
    with torch.no_grad():
        simulated = ((qat(_as_input(frame))[0].permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte().numpy()
        bounded_float = ((net(_as_input(frame))[0].permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte().numpy()
    assert psnr(int8.stylize(frame), simulated) > 48  # measured 51-54 dB: rounding ties and bias rounding only
    assert psnr(fp32.stylize(frame), bounded_float) > 50
    clips = [n for n in onnx.load(str(tmp_path / "f.onnx")).graph.node if n.op_type == "Clip"]
    assert len(clips) >= len(net.activation_bounds())  # every bound is a Clip in fp32 too (plus the output's)


def test_int8_quantizes_each_bounded_tensor_on_exactly_its_bounds(bounded, photos, tmp_path):
    _, net, identity = bounded
    res = _export(net, identity, tmp_path / "q.onnx", "int8", photos)
    assert "equalized" not in res.metadata.quantization  # equalized before QAT: the bounds are in that basis
    graph = onnx.load(str(res.path)).graph
    consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    quantize = [n for n in graph.node if n.op_type == "QuantizeLinear" and n.input[1] in consts]
    scales = [float(consts[n.input[1]]) for n in quantize]
    lo, hi = net.activation_bounds()["blocks.1.stream"]
    assert min(abs(s - (hi - lo) / 255) for s in scales) < 1e-6 * (hi - lo)


def test_bounds_travel_in_the_weights_file(bounded, tmp_path):
    from stylelite.distill.training_state import save_weights

    _, net, _ = bounded
    path = tmp_path / "s.safetensors"
    meta = {"model": "shufflegen_t_050", "activation_bounds": json.dumps(net.activation_bounds())}
    save_weights(path, net, metadata=meta)
    again = load_model(path).model
    assert again.activation_bounds() == net.activation_bounds()  # JSON keeps floats exactly
    x = torch.rand(1, 3, 32, 48) * 2 - 1
    assert torch.allclose(again(x), net(x), atol=1e-6)
    save_weights(path, net, metadata={**meta, "activation_bounds": '{"blocks.9.stream": [0, 1]}'})
    with pytest.raises(CheckpointError, match="activation_bounds metadata is broken"):
        load_model(path)


def test_bounds_are_checked():
    net = create_student("shufflegen_t_038")
    with pytest.raises(ValueError, match="points this student lacks"):
        net.set_activation_bounds({"blocks.7.hidden": [0, 1]})
    for bad in ([1, 1], [0, float("inf")], [float("nan"), 1]):  # forged metadata: one line, no Clip at infinity
        with pytest.raises(ValueError, match="need finite low < high"):
            net.set_activation_bounds({"stem": bad})
    assert net.activation_bounds() == {}


def test_only_plain_shufflegen_students_take_range_qat(bounded):
    _, net, _ = bounded
    with pytest.raises(ConfigError, match="use --qat-engine nncf"):
        prepare_range_qat(create_student("mobilegen_s_050"), [torch.zeros(1, 3, 32, 32)])
    with pytest.raises(ConfigError, match="without bounds yet"):
        prepare_range_qat(net, [torch.zeros(1, 3, 32, 32)])  # already bounded: its ranges are its own


def test_cli_range_qat_run_writes_a_bounded_student(tmp_path):
    common = ("--teacher", "cyclegan_r9_bn.cartoon", "--student", "shufflegen_t_038", "--qat", "int8")
    tiny = ("--steps", "2", "--batch", "1", "--crop", "32", "--label-crops", "16", "--labels", "labels")
    r = run_cli("distill", *common, "--qat-engine", "ranges", "--w-feature", "0.1", "--steps", "1", "--data",
                "builtin", cwd=tmp_path)  # fmt: skip
    assert "has no feature taps: add --w-feature 0" in r.stderr and r.returncode != 0 and "Traceback" not in r.stderr
    r = run_cli("distill", "--teacher", "cyclegan_r9_bn.cartoon", "--student", "mobilegen_s_025", "--qat", "int8",
                "--qat-engine", "ranges", "--w-feature", "0", "--steps", "1", "--data", "builtin",
                cwd=tmp_path)  # fmt: skip
    assert "use --qat-engine nncf" in r.stderr and r.returncode != 0 and "Traceback" not in r.stderr
    assert not (tmp_path / "runs").exists()  # refused before anything was written
    r = run_cli("distill", *common, "--qat-engine", "ranges", "--w-feature", "0", "--w-start", "1", *tiny, "--data",
                "builtin", "--threads", "1", cwd=tmp_path)  # fmt: skip
    assert r.returncode == 0, r.stderr
    (weights,) = tmp_path.glob("runs/*/student.safetensors")
    student = load_model(weights).model
    assert set(student.activation_bounds()) == {"stem", "head"} | {
        f"blocks.{i}.{p}" for i in range(4) for p in ("hidden", "branch", "stream")
    }
    last = json.loads(next(tmp_path.glob("runs/*/log.jsonl")).read_text().splitlines()[-1])
    assert last["start"] >= 0  # the distance to its own starting output, logged (QAT keeps the float function)
    record = json.loads(next(tmp_path.glob("runs/*/qat.json")).read_text())
    assert record["qat_engine"] == "ranges"
    (run,) = tmp_path.glob("runs/*")
    r = run_cli("distill", "--resume", str(run), "--steps", "3", cwd=tmp_path)  # a run goes on with its ranges
    assert r.returncode == 0, r.stderr
    steps = [json.loads(line)["step"] for line in (run / "log.jsonl").read_text().splitlines()]
    assert steps[-1] == 3 and len(set(steps)) == len(steps)
    assert set(load_model(weights).model.activation_bounds()) == set(student.activation_bounds())


def test_a_run_saved_by_the_older_simulation_is_refused_in_one_line():
    qat = prepare_range_qat(create_student("shufflegen_t_038").eval(), [torch.zeros(1, 3, 32, 32)])
    old = {**qat.state_dict(), "q_input.lo_scaled": torch.tensor(0.0), "q_output.hi_scaled": torch.tensor(0.1)}
    with pytest.raises(ConfigError, match="older simulation"):
        qat.load_state_dict(old)
    qat.load_state_dict(qat.state_dict())  # a run of this simulation loads


def test_a_skip_filter_is_simulated_and_quantized_on_its_learned_range(photos, tmp_path):
    loaded = load_model("shufflegen_t_050.cartoon")
    net = create_student("shufflegen_t_050_sk")
    net.load_state_dict(loaded.model.state_dict(), strict=False)  # everything but the filter, left at the identity
    with torch.no_grad():
        k = net.skip.kernel
        k.mul_(0.6)
        k[:, :, 1:4, 1:4] += 0.4 / 9 / net.skip.GAIN  # a blur that keeps 60 % of each pixel, as trained ones do
    qat = prepare_range_qat(net.eval(), [_as_input(p) for p in photos])
    bounds = qat.activation_bounds()
    lo, hi = bounds["skip"]
    assert lo <= -1 and 0 < hi <= 1.2  # the calibrated range of the filtered pixels, given on [-1, 1]
    qat.net.set_activation_bounds(bounds)
    res = _export(qat.net.eval(), loaded.identity, tmp_path / "q.onnx", "int8", photos)
    frame = photos[-1]
    with torch.no_grad():
        simulated = ((qat.eval()(_as_input(frame))[0].permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte()
    assert psnr(load_engine(res.path).stylize(frame), simulated.numpy()) > 46  # measured 50.3 dB
    graph = onnx.load(str(res.path)).graph
    consts = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    scales = [float(consts[n.input[1]]) for n in graph.node if n.op_type == "QuantizeLinear" and n.input[1] in consts]
    unit_span = (hi - lo) / 2  # the export runs on [0, 1] pixels, where the range is half as wide
    assert min(abs(s - unit_span / 255) for s in scales) < 1e-6


def test_a_run_saves_its_weights_on_the_int8_grid_and_its_skip_filter_as_the_export_rounds_it(photos, tmp_path):
    """The float student a range-QAT run saves computes what its int8 export computes (weights rounded as the
    exporter rounds them, the stem's fold folded into its bias, the skip filter's kernel with each colour's gain
    kept); the ONNX int8 export runs the filter as an int8 conv and its Pad on the bytes."""
    loaded = load_model("shufflegen_t_050.cartoon")
    net = create_student("shufflegen_t_050_sk")
    net.load_state_dict(loaded.model.state_dict(), strict=False)
    with torch.no_grad():
        net.skip.kernel.mul_(0.6)
        net.skip.kernel[:, :, 1:4, 1:4] += 0.4 / 9 / net.skip.GAIN
    qat = prepare_range_qat(net.eval(), [_as_input(p) for p in photos])
    latent = qat.net
    latent.set_activation_bounds(qat.activation_bounds())
    grid = create_student("shufflegen_t_050_sk")
    grid.load_state_dict(qat.int8_grid_state())
    grid.set_activation_bounds(qat.activation_bounds())
    rounded, kernel = grid.skip.weight(), latent.skip.weight()
    step = kernel.abs().amax(dim=(1, 2, 3), keepdim=True) / 64
    assert ((rounded - kernel).abs() <= step * 1.0001).all()  # each tap within one step of its float value
    assert ((rounded.sum(dim=(1, 2, 3)) - kernel.sum(dim=(1, 2, 3))).abs() <= step.flatten() / 2 + 1e-6).all()
    outs = {}
    for name, model in (("latent", latent), ("grid", grid)):
        for precision in ("fp32", "int8"):
            res = _export(model.eval(), loaded.identity, tmp_path / f"{name}_{precision}.onnx", precision, photos)
            outs[name, precision] = np.stack([load_engine(res.path).stylize(p) for p in photos])
    record = res.metadata.quantization
    assert "float_nodes" not in record and record["skip_filter"].startswith("int8: folded")
    assert record["moves_on_bytes"] == ["/skip/Pad", "/shuffle/DepthToSpace"]
    assert psnr(outs["grid", "int8"], outs["latent", "int8"]) > 50  # the same int8 weights either way
    # the saved float student sits closer to its int8 self than the weights it trained as
    assert psnr(outs["grid", "fp32"], outs["grid", "int8"]) > psnr(outs["latent", "fp32"], outs["latent", "int8"])
