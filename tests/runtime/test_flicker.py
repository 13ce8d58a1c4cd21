"""Flicker metric on clips with known motion."""

import numpy as np

from stylelite.runtime.flicker import warping_error
from stylelite.runtime.flow import ClipFlows, dis_flow, occlusion_mask
from stylelite.runtime.synthetic import make_camera_clip
from tests.conftest import make_photo


def _clip():
    return make_camera_clip(make_photo(240, 320), frames=6, size=(128, 96))


def test_consistent_colour_map_sits_at_the_floor():
    frames = _clip()
    flows = ClipFlows(frames)
    floor = warping_error(frames, flows).mean
    inverted = [255 - f for f in frames]  # a per-pixel colour map: perfectly stable
    assert abs(warping_error(inverted, flows).mean - floor) < 1e-6
    assert floor < 0.01


def test_per_frame_noise_raises_flicker_by_its_energy():
    frames = _clip()
    flows = ClipFlows(frames)
    floor = warping_error(frames, flows).mean
    rng = np.random.default_rng(0)
    sigma = 8.0
    noisy = [np.clip(f + rng.normal(0, sigma, f.shape), 0, 255).astype(np.uint8) for f in frames]
    got = warping_error(noisy, flows).mean
    # Independent noise in two frames adds ~2*3*sigma^2 per pixel (bilinear warping smooths it a little).
    expected_rise = 2 * 3 * (sigma / 255) ** 2
    assert 0.5 * expected_rise < got - floor < 1.2 * expected_rise


def test_forward_backward_check_finds_occlusions():
    a = np.zeros((64, 64), np.float32)
    fw = np.zeros((64, 64, 2), np.float32)
    bw = np.zeros((64, 64, 2), np.float32)
    fw[20:30, 20:30, 0] = 6.0  # a patch moves right; the backward flow does not agree
    mask = occlusion_mask(fw, bw)
    assert mask[25, 25] == 0 and mask[50, 50] == 1 and a.shape == mask.shape


def test_dis_flow_recovers_a_shift():
    img = make_photo(120, 160)
    shifted = np.roll(img, 3, axis=1)
    flow = dis_flow(img, shifted)
    assert abs(np.median(flow[20:-20, 20:-20, 0]) - 3.0) < 0.5
