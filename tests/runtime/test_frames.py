"""stylelite.runtime.frames: uint8 frames <-> model tensors, exact at the ends of the range."""

from __future__ import annotations

import numpy as np
import pytest

from stylelite.runtime.frames import from_model_output, to_model_input
from stylelite.runtime.metadata import ArtifactMetadata


def meta(**kw) -> ArtifactMetadata:
    return ArtifactMetadata(model="m", **kw)


@pytest.mark.parametrize("input_range", [(-1.0, 1.0), (0.0, 1.0), (0.0, 255.0)])
def test_model_input_is_the_exact_linear_map_of_each_byte(input_range):
    lo, hi = input_range
    frame = np.random.default_rng(0).integers(0, 256, (37, 61, 3), dtype=np.uint8)
    frame[0, 0], frame[0, 1] = 0, 255
    x, hw = to_model_input(frame, meta(input_range=input_range, stride=1))
    want = (frame.astype(np.float64) * (hi - lo) / 255 + lo).astype(np.float32).transpose(2, 0, 1)[None]
    assert hw == (37, 61) and x.dtype == np.float32 and np.array_equal(x, want)
    assert x[0, :, 0, 0].tolist() == [lo] * 3 and x[0, :, 0, 1].tolist() == [hi] * 3  # calibration sees the true ends


def test_model_input_pads_to_the_stride_and_keeps_the_frame_top_left():
    frame = np.random.default_rng(1).integers(0, 256, (30, 45, 3), dtype=np.uint8)
    x, hw = to_model_input(frame, meta(stride=8))
    assert x.shape == (1, 3, 32, 48) and hw == (30, 45)
    assert np.array_equal(x[0, :, :30, :45], to_model_input(frame, meta(stride=1))[0][0])


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_model_output_rounds_and_saturates(dtype):
    y = np.random.default_rng(2).normal(0, 0.8, (2, 3, 19, 23)).astype(dtype)  # some values past [-1, 1]
    out = from_model_output(y, meta(output_range=(-1.0, 1.0)))
    want = np.clip(np.rint((y.astype(np.float64) + 1) * 127.5), 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
    assert out.shape == (2, 19, 23, 3) and out.dtype == np.uint8
    assert np.abs(out.astype(int) - want).max() <= 1  # at most a rounding tie apart
    assert (out[y.transpose(0, 2, 3, 1) < -1.01] == 0).all() and (out[y.transpose(0, 2, 3, 1) > 1.01] == 255).all()
