"""Style-conditioned models (multistyle) export with style inputs and run under every engine."""

import numpy as np
import pytest
import torch

import stylelite.models.torch_engine  # noqa: F401  (checkpoints through torch)
from stylelite.export.api import export_model
from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ConfigError, ExportError
from stylelite.runtime.metrics import psnr
from stylelite.runtime.style_control import (
    STRENGTH_INPUT,
    STYLE_WEIGHTS_INPUT,
    StyleControl,
)
from tests.conftest import make_photo

STYLES = ["ink", "wash"]


def _photo() -> np.ndarray:
    return make_photo(64, 64, seed=7)


@pytest.fixture(scope="module")
def multistyle(tmp_path_factory):
    """A random multistyle teacher with two named styles (distinct codes and code-dependent AdaINs),
    its weights file and its fp32 ONNX export."""
    from stylelite.distill.training_state import save_weights
    from stylelite.models.multistyle import AdaIN
    from stylelite.models.registry import create_teacher

    torch.manual_seed(0)
    model = create_teacher("multistyle")
    model.set_style_names(STYLES)
    with torch.no_grad():
        model.style_codes.normal_()
        for m in model.modules():
            if isinstance(m, AdaIN):
                m.affine.weight.normal_(0, 0.1)
    folder = tmp_path_factory.mktemp("multistyle")
    weights = folder / "multistyle.safetensors"
    save_weights(weights, model, metadata={"teacher": "multistyle"})
    res = export_model(str(weights), folder / "multistyle.onnx")
    return model, weights, res


def test_multistyle_exports_style_inputs_and_names(multistyle):
    _, _, res = multistyle
    assert res.verification.passed and res.metadata.styles == tuple(STYLES)
    engine = load_engine(res.path)
    assert engine.styles == tuple(STYLES) and engine.meta.styles == tuple(STYLES)
    inputs = {i.name: (i.shape, i.type) for i in engine.session.get_inputs()}
    assert inputs[STYLE_WEIGHTS_INPUT] == ([1, 2], "tensor(float)")
    assert inputs[STRENGTH_INPUT] == ([1], "tensor(float)")


def test_first_style_at_full_strength_is_the_default_forward(multistyle):
    from stylelite.models.tensors import run_model

    model, _, res = multistyle
    engine, frame = load_engine(res.path), _photo()
    reference = run_model(model, frame)  # plain forward: the default style at strength 1
    for control in (None, StyleControl(), StyleControl(style="ink", strength=1.0)):
        assert psnr(engine.stylize(frame, control), reference) >= 40


def test_blends_and_strength_change_the_picture(multistyle):
    engine, frame = load_engine(multistyle[2].path), _photo()
    ink, wash = engine.stylize(frame, StyleControl(style="ink")), engine.stylize(frame, StyleControl(style="wash"))
    blend = engine.stylize(frame, StyleControl(style="ink", blend_with="wash", mix=0.5))
    weak = engine.stylize(frame, StyleControl(style="ink", strength=0.0))

    def differ(a, b):
        return np.abs(a.astype(int) - b.astype(int)).mean() > 2

    assert differ(ink, wash) and differ(blend, ink) and differ(blend, wash) and differ(weak, ink)
    with pytest.raises(ConfigError, match=r"unknown style 'oil': this model has ink, wash"):
        engine.stylize(frame, StyleControl(style="oil"))


def test_torch_engine_feeds_the_same_controls_as_onnx(multistyle):
    _, weights, res = multistyle
    torch_engine, ort_engine, frame = load_engine(weights), load_engine(res.path), _photo()
    assert torch_engine.styles == ort_engine.styles
    for control in (StyleControl(style="wash"), StyleControl(blend_with="wash", mix=0.3, strength=0.6)):
        assert psnr(torch_engine.stylize(frame, control), ort_engine.stylize(frame, control)) >= 40


@pytest.mark.filterwarnings("ignore:the float32 number")  # onnxconverter-common rounding tiny constants
def test_multistyle_fp16_export_verifies_with_style_inputs(multistyle, tmp_path):
    res = export_model(str(multistyle[1]), tmp_path / "ms16.onnx", precision="fp16")
    assert res.verification.passed and res.metadata.styles == tuple(STYLES)
    engine = load_engine(res.path)
    frame = _photo()
    control = StyleControl(blend_with="wash", strength=0.5)
    assert psnr(engine.stylize(frame, control), load_engine(multistyle[2].path).stylize(frame, control)) >= 30


@pytest.mark.parametrize("out, kwargs", [
    ("refused.onnx", {"precision": "int8", "calib": [np.zeros((64, 64, 3), np.uint8)] * 4}),
    ("refused.tflite", {"format": "tflite", "precision": "int8", "calib": [np.zeros((64, 64, 3), np.uint8)] * 4,
                        "dynamic": False, "sample_size": 64}),
])  # fmt: skip
def test_multistyle_int8_is_refused(multistyle, tmp_path, out, kwargs):
    legal = "ONNX fp32 or fp16 and TFLite fp32 or fp16 only"
    with pytest.raises(ExportError, match=rf"multistyle is style-conditioned \(ink, wash\); .*{legal}, not"):
        export_model(str(multistyle[1]), tmp_path / out, **kwargs)
    assert not list(tmp_path.iterdir())


def test_an_output_name_of_another_format_is_refused_before_converting(multistyle, tmp_path):
    with pytest.raises(ConfigError, match=r"-o m.onnx: a TFLite export is a .tflite file; name it m.tflite"):
        export_model(str(multistyle[1]), tmp_path / "m.onnx", format="tflite", dynamic=False, sample_size=64)
    assert not list(tmp_path.iterdir())
