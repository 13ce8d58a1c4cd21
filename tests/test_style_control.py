"""Multi-style control: StyleControl/StyleState, strength blending, and style inputs through export and engines."""

import threading

import numpy as np
import pytest
import torch

from export.api import export_model
from runtime.engines import load_engine
from runtime.errors import ConfigError, ExportError
from runtime.metrics import psnr
from runtime.style_control import STRENGTH_INPUT, STYLE_WEIGHTS_INPUT, StyleControl, StyleState, blend_strength
from tests.conftest import make_photo

STYLES = ["ink", "wash"]


def _photo() -> np.ndarray:
    return make_photo(64, 64, seed=7)


# ---------------------------------------------------------------- StyleControl and StyleState


def test_style_weights_pick_and_blend():
    np.testing.assert_array_equal(StyleControl().weights(STYLES), [[1.0, 0.0]])
    np.testing.assert_array_equal(StyleControl(style="wash").weights(STYLES), [[0.0, 1.0]])
    w = StyleControl(style="ink", blend_with="wash", mix=0.25).weights(STYLES)
    assert w.dtype == np.float32 and w.shape == (1, 2)
    np.testing.assert_allclose(w, [[0.75, 0.25]])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"strength": 1.5}, r"strength 1.5 is out of range: use a value in \[0, 1\]"),
        ({"mix": -0.1}, r"mix -0.1 is out of range"),
    ],
)
def test_style_control_rejects_out_of_range_values(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        StyleControl(**kwargs)


def test_unknown_or_unavailable_style_is_a_config_error():
    with pytest.raises(ConfigError, match=r"unknown style 'oil': this model has ink, wash"):
        StyleControl(style="oil").check(STYLES)
    with pytest.raises(ConfigError, match=r"single style, so style 'ink' cannot be chosen; only strength applies"):
        StyleControl(style="ink").check(())


def test_style_state_updates_and_keeps_the_old_control_on_bad_input():
    state = StyleState(STYLES)
    assert state.get() == StyleControl()
    assert state.update(style="wash", strength=0.5) == StyleControl(style="wash", strength=0.5) == state.get()
    for bad, match in (({"style": "oil"}, "unknown style 'oil'"), ({"strength": 2.0}, "out of range")):
        with pytest.raises(ConfigError, match=match):
            state.update(**bad)
        assert state.get() == StyleControl(style="wash", strength=0.5)
    with pytest.raises(ConfigError, match=r"unknown style setting\(s\) colour: use style, blend_with, mix, strength"):
        state.update(colour="red")
    with pytest.raises(ConfigError, match="unknown style 'oil'"):
        StyleState(STYLES, StyleControl(style="oil"))


def test_style_state_is_consistent_under_concurrent_updates():
    state = StyleState(STYLES)
    seen, errors = [], []

    def writer(i: int) -> None:
        for k in range(200):
            state.update(style=STYLES[(i + k) % 2], strength=(k % 11) / 10)

    def reader() -> None:
        for _ in range(400):
            c = state.get()
            try:
                c.check(STYLES)
                seen.append(c.strength)
            except ConfigError as exc:  # pragma: no cover - would be a bug
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(4)] + [threading.Thread(target=reader)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(seen) == 400 and all(0.0 <= s <= 1.0 for s in seen)
    assert isinstance(state.get(), StyleControl)


def test_blend_strength_endpoints_and_midpoint():
    stylized, frame = np.full((4, 4, 3), 200, np.uint8), np.full((4, 4, 3), 100, np.uint8)
    assert blend_strength(stylized, frame, 1.0) is stylized
    out = blend_strength(stylized, frame, 0.0)
    np.testing.assert_array_equal(out, frame)
    assert out is not frame
    np.testing.assert_array_equal(blend_strength(stylized, frame, 0.5), np.full((4, 4, 3), 150, np.uint8))


def test_single_style_engine_blends_strength_with_the_input(student_onnx):
    engine, frame = load_engine(student_onnx), _photo()
    assert engine.styles == ()
    np.testing.assert_array_equal(engine.stylize(frame, StyleControl(strength=1.0)), engine.stylize(frame))
    np.testing.assert_array_equal(engine.stylize(frame, StyleControl(strength=0.0)), frame)
    with pytest.raises(ConfigError, match="single style"):
        engine.stylize(frame, StyleControl(style="ink"))


# ---------------------------------------------------------------- multistyle export and engines


@pytest.fixture(scope="module")
def multistyle(tmp_path_factory):
    """A random multistyle teacher with two named styles (distinct codes and code-dependent AdaINs),
    its weights file and its fp32 ONNX export."""
    from distill.models.multistyle import AdaIN
    from distill.models.registry import create_teacher
    from distill.training_state import save_weights

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
    from distill.tensors import run_model

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


@pytest.mark.parametrize("kwargs", [{"precision": "int8", "calib": [np.zeros((64, 64, 3), np.uint8)] * 4},
                                    {"format": "tflite", "dynamic": False, "sample_size": 64}])  # fmt: skip
def test_multistyle_int8_and_tflite_are_refused(multistyle, tmp_path, kwargs):
    with pytest.raises(ExportError, match=r"multistyle is style-conditioned \(ink, wash\); .*ONNX fp32 or fp16 only"):
        export_model(str(multistyle[1]), tmp_path / "refused.onnx", **kwargs)
    assert not list(tmp_path.iterdir())
