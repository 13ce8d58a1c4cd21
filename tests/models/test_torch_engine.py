"""The torch engine: checkpoints run through PyTorch once stylelite.models.torch_engine registers it."""

import sys

import numpy as np
import pytest
import torch

import stylelite.models.torch_engine  # noqa: F401  (registers the engine for checkpoints)
from stylelite.cli.options import prepare_engines
from stylelite.distill.training_state import save_weights
from stylelite.export.api import export_model
from stylelite.models.registry import create_student
from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ConfigError, MissingBackendError
from stylelite.runtime.metrics import psnr
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


def test_torch_engine_matches_the_onnx_export_of_the_same_weights(student_weights):
    weights, onnx_path = student_weights
    engine, ort_engine = load_engine(weights), load_engine(onnx_path)
    assert engine.name == "torch" and engine.styles == ()
    assert engine.meta.model == STUDENT == ort_engine.meta.model
    for field in ("input_range", "output_range", "stride", "layout", "height", "width"):
        assert getattr(engine.meta, field) == getattr(ort_engine.meta, field)
    assert engine.meta.params == ort_engine.meta.params
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
        prepare_engines([student_weights[0]])


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
