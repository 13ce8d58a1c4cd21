"""Multi-style control: StyleControl/StyleState, strength blending, and style inputs through export and engines."""

import threading

import numpy as np
import pytest

from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ConfigError
from stylelite.runtime.style_control import (
    StyleControl,
    StyleState,
    blend_strength,
)
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
