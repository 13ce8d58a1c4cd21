"""Temporal consistency: flow providers and their cache, occlusion masks on known occlusions, tOF,
runtime stabilization, long-term and single-frame losses."""

import cv2
import numpy as np
import pytest
import torch

from stylelite.distill.data import Clip, MotionPairs, synthetic_pair
from stylelite.distill.losses import long_term_temporal_loss, random_affine_flow, single_frame_loss
from stylelite.runtime import flow as flow_mod
from stylelite.runtime.errors import ConfigError, InputError
from stylelite.runtime.flicker import temporal_flow_error, tof_floor, warping_error
from stylelite.runtime.flow import ClipFlows, FlowCache, flow_provider, occlusion_mask, warp_image
from stylelite.runtime.stabilize import Stabilizer
from stylelite.runtime.synthetic import make_camera_clip
from tests.conftest import make_photo, run_cli


def _texture(h: int, w: int, seed: int) -> np.ndarray:
    """Fine random texture (4 px cells), so DIS has something to lock onto everywhere."""
    rng = np.random.default_rng(seed)
    return cv2.resize(rng.integers(0, 256, (h // 4, w // 4, 3), dtype=np.uint8), (w, h), interpolation=cv2.INTER_CUBIC)


def _moving_square(frames: int = 3, step: int = 4) -> list[np.ndarray]:
    """A textured 40x40 square moves `step` px right per frame over a static textured background."""
    bg, obj = _texture(96, 128, 1), _texture(40, 40, 5)
    out = []
    for t in range(frames):
        f = bg.copy()
        f[30:70, 30 + step * t : 70 + step * t] = obj
        out.append(f)
    return out


def test_farneback_recovers_a_shift_and_unknown_provider_says_which_exist():
    img = make_photo(120, 160)
    flow = flow_provider("farneback")(img, np.roll(img, 3, axis=1))
    assert flow.dtype == np.float32 and flow.shape == (120, 160, 2)
    assert abs(np.median(flow[20:-20, 20:-20, 0]) - 3.0) < 0.5
    with pytest.raises(ConfigError, match="dis, farneback"):
        flow_provider("raft")
    with pytest.raises(ConfigError, match="ultrafast"):
        flow_provider("dis", "slow")


def test_mask_is_zero_on_the_disoccluded_strip_and_one_on_static_background():
    frames = _moving_square()
    flows = ClipFlows(frames)
    mask = flows.backward_masks[1][0]  # flow frame 1 -> frame 0: what frame 1 shows that frame 0 did not
    strip = mask[32:68, 30:34]  # where the square was in frame 0 and background is seen again in frame 1
    far = np.ones_like(mask, bool)
    far[20:80, 20:84] = False  # background away from the square's path
    assert strip.mean() < 0.1
    assert mask[far].mean() > 0.95
    assert mask[36:64, 40:66].mean() > 0.95  # the moving square itself is tracked
    assert abs(np.median(flows.backward[1][0][36:64, 40:66, 0]) + 4.0) < 0.3


def test_motion_boundary_check_masks_a_consistent_flow_discontinuity():
    fw = np.zeros((48, 64, 2), np.float32)
    fw[:, 32:, 1] = 3.0  # right half moves down 3 px; left half is still
    bw = -fw  # exactly consistent: the forward-backward check alone accepts everything inside the frame
    plain = occlusion_mask(fw, bw, motion_boundaries=False)
    checked = occlusion_mask(fw, bw)
    assert plain[10:40].all()
    assert not checked[10:40, 31:33].any()  # the boundary columns
    assert checked[10:40, :29].all() and checked[10:40, 35:].all()


def test_flow_cache_reuses_a_clips_flows(tmp_path, monkeypatch):
    frames = _moving_square(4)
    first = ClipFlows(frames, preset="ultrafast", cache_dir=tmp_path, offsets=(1, 2))
    assert len(list(tmp_path.glob("flows-*.npz"))) == 1
    monkeypatch.setattr(flow_mod, "flow_provider", lambda *a: pytest.fail("flows were recomputed"))
    again = ClipFlows(frames, preset="ultrafast", cache_dir=tmp_path, offsets=(1, 2))
    for k in (1, 2):
        assert len(again.backward[k]) == len(first.backward[k]) == len(frames) - k
        for a, b in zip(first.backward[k], again.backward[k]):
            np.testing.assert_array_equal(a, b)
        assert len(again.forward_masks[k]) == len(frames) - k
    assert again.flows[0].dtype == np.float32
    assert FlowCache(tmp_path).load("missing") is None


def test_tof_of_a_colour_map_is_near_zero_and_shaking_adds_the_shift():
    frames = make_camera_clip(make_photo(240, 320), frames=6, size=(128, 96))
    flows = ClipFlows(frames)
    assert temporal_flow_error(frames, flows).mean == 0.0  # same deterministic estimator on the same frames
    # Inversion is affine in grey level (255 - g, up to RGB->grey rounding); DIS's patch SSD and variational
    # terms only see grey-level differences and gradients, whose sign flip does not change the costs.
    assert tof_floor(frames, flows).mean < 0.05
    shifts = [0, 2, -1, 1, -2, 0]
    shaken = [np.roll(f, s, axis=1) for f, s in zip(frames, shifts)]
    got = temporal_flow_error(shaken, flows).mean
    expected = np.mean(np.abs(np.diff(shifts)))  # every output pair moves by the extra shift difference
    assert 0.75 * expected < got < 1.25 * expected


def test_stabilizer_strength_zero_is_identity_and_bad_strength_fails():
    frames = make_camera_clip(make_photo(), frames=3, size=(64, 48))
    st = Stabilizer(0.0)
    for f in frames:
        np.testing.assert_array_equal(st.step(f, 255 - f), 255 - f)
    assert st.mean_flow_ms is None
    with pytest.raises(ConfigError, match=r"\[0, 1\]"):
        Stabilizer(1.5)


def test_stabilizer_reduces_flicker_of_a_noisy_output():
    frames = [make_photo(72, 96)] * 8  # a static clip
    rng = np.random.default_rng(0)
    styled = [np.clip(255.0 - f + rng.normal(0, 10, f.shape), 0, 255).astype(np.uint8) for f in frames]
    flows = ClipFlows(frames)
    st = Stabilizer(0.5)
    steady = [st.step(f, s) for f, s in zip(frames, styled)]
    raw, stab = warping_error(styled, flows).mean, warping_error(steady, flows).mean
    # Recursive blending y_t = (1-s) x_t + s y_{t-1} of independent noise: Var(y_t - y_{t-1}) / Var(x_t - x_{t-1})
    # = (1-s)^2 / (1+s) = 1/6 at s=0.5 in steady state (measured 0.18 here, the first frames are not yet steady).
    assert stab < 0.3 * raw
    assert len(st.flow_ms) == len(frames) - 1 and st.mean_flow_ms > 0


def test_run_stabilize_end_to_end(tmp_path, clip_path, student_onnx):
    out = tmp_path / "steady.mp4"
    proc = run_cli("run", str(student_onnx), "-i", str(clip_path), "-o", str(out), "--stabilize", "0.5")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.exists() and "stabilize flow" in proc.stdout and "ms/frame" in proc.stdout
    img = tmp_path / "a.png"
    cv2.imwrite(str(img), make_photo(32, 32))
    proc = run_cli("run", str(student_onnx), "-i", str(img), "-o", str(tmp_path / "b.png"), "--stabilize", "0.5")
    assert proc.returncode == 1 and "needs a video input" in proc.stderr


def test_long_term_synthetic_pair_composes_exact_motions_and_loss_is_zero_when_static():
    img = make_photo(260, 300)
    prev, cur, flow, mask = synthetic_pair(img, 96, np.random.default_rng(3), steps=5)
    aligned = warp_image(prev.astype(np.float32), flow)
    inner = mask.astype(bool)
    inner[:2], inner[-2:], inner[:, :2], inner[:, -2:] = False, False, False, False
    assert mask.mean() > 0.5 and np.abs(flow).max() > 2.0
    assert np.abs(aligned - cur.astype(np.float32)).mean(-1)[inner].mean() < 4.0
    out = torch.rand(2, 3, 16, 16)
    pair = (out, out.clone(), torch.zeros(2, 2, 16, 16), torch.ones(2, 1, 16, 16))
    assert long_term_temporal_loss([pair, pair]).item() < 1e-12


def test_single_frame_loss_is_zero_for_a_per_pixel_model_and_sees_a_fixed_pattern():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 24, 24, dtype=torch.float64)
    flow, mask = random_affine_flow(2, 24, 24, torch.Generator().manual_seed(1), dtype=torch.float64)
    assert 0.5 < mask.mean() < 1.0
    per_pixel = torch.nn.Conv2d(3, 3, 1).double()
    assert single_frame_loss(per_pixel, x, flow, mask).item() < 1e-20
    pattern = torch.rand(1, 3, 24, 24, dtype=torch.float64)
    screen_door = lambda t: per_pixel(t) + pattern  # noqa: E731  (a pattern fixed to the screen, not the scene)
    assert single_frame_loss(screen_door, x, flow, mask).item() > 1e-3


def test_motion_pairs_compute_each_clips_flows_once(monkeypatch):
    frames = make_camera_clip(make_photo(), frames=8, size=(64, 48))
    calls = []
    real = ClipFlows._compute
    monkeypatch.setattr(ClipFlows, "_compute", lambda self, *a: calls.append(self.offsets) or real(self, *a))
    pairs = MotionPairs([], [Clip(frames)], 32, seed=0, offsets=(1, 3))
    for k in (1, 3, 1, 3):
        prev, cur, flow, mask = pairs.batch(2, offset=k)
        assert prev.shape == (2, 3, 32, 32) and flow.shape == (2, 2, 32, 32) and mask.shape == (2, 1, 32, 32)
    assert calls == [(1, 3)]
    with pytest.raises(InputError, match="too few for pairs 9 frames apart"):
        MotionPairs([], [Clip(frames)], 32, seed=0, offsets=(9,))


def test_distill_with_long_term_and_single_frame_losses(tmp_path):
    from stylelite.distill.distiller import DistillConfig, distill
    from stylelite.runtime.files import read_jsonl
    from stylelite.runtime.video import write_image, write_video

    write_image(tmp_path / "photos" / "a.png", make_photo(80, 96))
    video = write_video(tmp_path / "v.mp4", make_camera_clip(make_photo(), frames=6, size=(64, 48)), fps=10)
    run = distill(
        "cyclegan_r6",
        "mobilegen_s_025",
        out=tmp_path / "runs",
        progress=False,
        data=(str(tmp_path / "photos"), str(video)),
        steps=2,
        batch=2,
        crop=32,
        cache_size=2,
        temporal_batch=2,
        save_every=2,
        w_long_term=1.0,
        long_term_offsets=(3,),
        w_single_frame=1.0,
        flow_cache=str(tmp_path / "flows"),
        random_teacher=True,
    )
    rec = read_jsonl(run / "log.jsonl")[-1]
    assert rec["long_term"] > 0 and rec["single_frame"] > 0
    assert list((tmp_path / "flows").glob("flows-*.npz"))
    with pytest.raises(ConfigError, match="frame distances >= 2"):
        DistillConfig(long_term_offsets=(1,))


def test_camera_clip_flow_is_exact_and_dis_agrees():
    from stylelite.runtime.synthetic import camera_clip_flow

    photo = make_photo(240, 320)
    frames = make_camera_clip(photo, frames=6, size=(128, 96))
    exact = camera_clip_flow(photo.shape[:2], 6, (128, 96), 2, 3)
    aligned = warp_image(frames[3].astype(np.float32), exact)
    assert np.abs(aligned - frames[2])[8:-8, 8:-8].mean() < 3.0  # bilinear resampling only
    dis = ClipFlows(frames).flows[2]
    assert np.median(np.abs(dis - exact)[8:-8, 8:-8]) < 0.3
