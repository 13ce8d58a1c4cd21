"""Engine options (onnxruntime providers and graph optimization, LiteRT XNNPACK) and the torch engine."""

import re
import sys

import numpy as np
import pytest
import torch

from distill.models.registry import create_student
from distill.training_state import save_weights
from export.api import export_model
from runtime.engines import load_engine
from runtime.errors import ConfigError, MissingBackendError
from runtime.metrics import psnr
from tests.conftest import make_photo

STUDENT = "mobilegen_s_025"


def _photo(h: int = 64, w: int = 64) -> np.ndarray:
    return make_photo(h, w, seed=5)


@pytest.fixture(scope="module")
def student_weights(tmp_path_factory):
    """A stylelite weights file of a student (perturbed so it is not the untrained network) and its ONNX export."""
    torch.manual_seed(0)
    model = create_student(STUDENT)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    folder = tmp_path_factory.mktemp("torch_engine")
    weights = folder / "student.safetensors"
    save_weights(weights, model, metadata={"model": STUDENT})
    torch.save(model.state_dict(), folder / "upstream.pth")
    return weights, export_model(str(weights), folder / "student.onnx").path


# ---------------------------------------------------------------- onnxruntime


def test_ort_records_the_providers_its_session_uses(student_onnx):
    engine = load_engine(student_onnx, threads=1, providers=["cpu"], graph_optimization="basic")
    assert engine.providers == ("CPUExecutionProvider",)
    assert engine.options == {"threads": 1, "providers": ("CPUExecutionProvider",), "graph_optimization": "basic"}
    assert "providers=CPUExecutionProvider" in engine.describe() and "graph_optimization=basic" in engine.describe()
    assert load_engine(student_onnx, providers="CPUExecutionProvider").providers == ("CPUExecutionProvider",)


def test_ort_graph_optimization_levels_give_the_same_output(student_onnx):
    frame = _photo()
    ref = load_engine(student_onnx).stylize(frame)
    for level in ("disable", "basic", "extended"):
        assert psnr(load_engine(student_onnx, graph_optimization=level).stylize(frame), ref) >= 40


def test_ort_unknown_graph_optimization_is_a_config_error(student_onnx):
    with pytest.raises(ConfigError, match=r"graph optimization level 'max' is unknown: use one of disable, basic"):
        load_engine(student_onnx, graph_optimization="max")


def test_ort_unknown_provider_is_a_config_error(student_onnx):
    with pytest.raises(ConfigError, match=r"unknown execution provider 'warp9' .*available here: .*CPUExecution"):
        load_engine(student_onnx, providers=["warp9"])


def test_ort_missing_provider_is_an_error_not_a_fallback(student_onnx):
    import onnxruntime as ort

    available = ort.get_available_providers()
    missing = [p for p in ("CUDAExecutionProvider", "TensorrtExecutionProvider") if p not in available]
    if not missing:
        pytest.skip("this onnxruntime has CUDA and TensorRT")
    available = re.escape(", ".join(available))
    short = missing[0].removesuffix("ExecutionProvider").lower()  # cuda / tensorrt
    for name in (missing[0], short):
        with pytest.raises(ConfigError, match=rf"{missing[0]} is not available .*\(available: {available}\)"):
            load_engine(student_onnx, providers=[name, "cpu"])


@pytest.mark.filterwarnings("ignore:Specified provider")
def test_ort_provider_the_session_drops_is_an_error(student_onnx, monkeypatch):
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this onnxruntime really has CUDA")
    # Claim CUDA is there: the session then starts on the CPU alone, which must not pass silently.
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    with pytest.raises(ConfigError, match=r"could not start CUDAExecutionProvider \(the session would run on CPU"):
        load_engine(student_onnx, providers="cuda,cpu")


def test_options_of_other_engines_are_ignored_but_arch_is_not(student_onnx):
    assert load_engine(student_onnx, xnnpack=False).name == "onnxruntime"
    with pytest.raises(ConfigError, match=r"--arch applies to checkpoints .* only; student.onnx carries its own"):
        load_engine(student_onnx, arch="cyclegan_r9")


# ---------------------------------------------------------------- torch engine


def test_torch_engine_matches_the_onnx_export_of_the_same_weights(student_weights):
    weights, onnx_path = student_weights
    engine, ort_engine = load_engine(weights), load_engine(onnx_path)
    assert engine.name == "torch" and engine.styles == ()
    assert engine.meta.model == STUDENT == ort_engine.meta.model
    for field in ("input_range", "output_range", "stride", "layout", "height", "width"):
        assert getattr(engine.meta, field) == getattr(ort_engine.meta, field)
    assert engine.meta.extra["params"] == ort_engine.meta.extra["params"]
    for frame in (_photo(), _photo(60, 70)):  # one size not a multiple of the stride
        assert psnr(engine.stylize(frame), ort_engine.stylize(frame)) >= 40


def test_upstream_checkpoint_needs_an_arch(student_weights):
    upstream = student_weights[0].with_name("upstream.pth")
    with pytest.raises(ConfigError, match=r"upstream.pth does not say which architecture .*pass --arch NAME"):
        load_engine(upstream)
    engine = load_engine(upstream, arch=STUDENT, threads=1)
    assert engine.meta.model == STUDENT and engine.options["arch"] == STUDENT
    frame = _photo()
    assert psnr(engine.stylize(frame), load_engine(student_weights[0]).stylize(frame)) >= 60


def test_torch_engine_without_torch_names_the_train_extra(student_weights, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails as if not installed
    with pytest.raises(MissingBackendError, match=r"torch is not installed.*stylelite\[train\]"):
        load_engine(student_weights[0])


# ---------------------------------------------------------------- LiteRT


@pytest.mark.tflite
def test_litert_runs_with_and_without_xnnpack(tmp_path):
    pytest.importorskip("onnx2tf")
    pytest.importorskip("ai_edge_litert")
    res = export_model(STUDENT, tmp_path / "s.tflite", format="tflite", dynamic=False, sample_size=64)
    frame = _photo()
    with_xnnpack, without = load_engine(res.path, threads=1), load_engine(res.path, threads=1, xnnpack=False)
    assert with_xnnpack.options == {"threads": 1, "xnnpack": True} and without.options["xnnpack"] is False
    assert psnr(with_xnnpack.stylize(frame), without.stylize(frame)) >= 40


def test_run_takes_checkpoints_as_typed(student_weights, clip_path, tmp_path):
    from tests.conftest import run_cli

    weights, _ = student_weights
    proc = run_cli("run", str(weights), "-i", str(clip_path), "-o", str(tmp_path / "a.mp4"), "--no-progress")
    assert proc.returncode == 0, proc.stderr[-1500:]
    upstream = weights.with_name("upstream.pth")
    proc = run_cli("run", str(upstream), "-i", str(clip_path), "-o", str(tmp_path / "b.mp4"))
    assert proc.returncode == 1 and "--arch" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("run", str(upstream), "--arch", STUDENT, "-i", str(clip_path), "-o", str(tmp_path / "b.mp4"))
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert (tmp_path / "b.mp4").stat().st_size > 0
