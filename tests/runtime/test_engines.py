"""Engine options (onnxruntime providers and graph optimization, LiteRT XNNPACK) and the torch engine."""

import re

import numpy as np
import pytest

from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ConfigError, MissingBackendError
from stylelite.runtime.metrics import psnr
from tests.conftest import make_photo

STUDENT = "mobilegen_s_025"


def _photo(h: int = 64, w: int = 64) -> np.ndarray:
    return make_photo(h, w, seed=5)


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


def test_options_of_other_engines_are_errors_not_dropped(student_onnx):
    with pytest.raises(ConfigError, match=r"--no-xnnpack applies to LiteRT only; student.onnx runs on onnxruntime"):
        load_engine(student_onnx, xnnpack=False)
    with pytest.raises(ConfigError, match=r"--arch (applies to PyTorch only|does not apply here); student.onnx"):
        load_engine(student_onnx, arch="cyclegan_r9")


def test_a_checkpoint_without_the_torch_engine_names_export_and_the_train_extra(tmp_path, monkeypatch):
    from stylelite.runtime.engines import CHECKPOINT_SUFFIXES, ENGINES

    kept = {k: v for k, v in ENGINES._entries.items() if k not in CHECKPOINT_SUFFIXES}
    monkeypatch.setattr(ENGINES, "_entries", kept)  # as on a board without torch
    ckpt = tmp_path / "student.safetensors"
    ckpt.write_bytes(b"x")
    with pytest.raises(MissingBackendError, match=r"export it first .*stylelite\[train\]"):
        load_engine(ckpt)


# ---------------------------------------------------------------- LiteRT


@pytest.mark.tflite
def test_litert_runs_with_and_without_xnnpack(student_tflite_int8):
    res = student_tflite_int8[0]  # the session's int8 student: conversion is the slow part
    frame = _photo()
    with_xnnpack, without = load_engine(res.path, threads=1), load_engine(res.path, threads=1, xnnpack=False)
    assert with_xnnpack.options == {"threads": 1, "xnnpack": True} and without.options["xnnpack"] is False
    assert psnr(with_xnnpack.stylize(frame), without.stylize(frame)) >= 40
