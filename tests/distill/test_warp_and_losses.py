import numpy as np
import torch

from stylelite.distill.data import synthetic_pair
from stylelite.distill.losses import FeatureAdapters, ssim_loss, temporal_loss
from stylelite.distill.warp import warp
from stylelite.runtime.flow import warp_image
from stylelite.runtime.metrics import ssim_map
from tests.conftest import make_photo


def test_zero_flow_warp_is_identity():
    x = torch.rand(2, 3, 17, 23)
    assert torch.allclose(warp(x, torch.zeros(2, 2, 17, 23)), x, atol=1e-6)  # float32 grid rounding only


def test_integer_shift_moves_pixels():
    x = torch.rand(1, 1, 8, 8)
    flow = torch.zeros(1, 2, 8, 8)
    flow[:, 0] = 1.0  # sample one pixel to the right
    assert torch.allclose(warp(x, flow)[..., :-1], x[..., 1:])


def test_warp_gradients_float64():
    x = torch.rand(1, 2, 6, 7, dtype=torch.float64, requires_grad=True)
    flow = (torch.rand(1, 2, 6, 7, dtype=torch.float64) - 0.5).requires_grad_(True)
    assert torch.autograd.gradcheck(warp, (x, flow), eps=1e-6, atol=1e-4)


def test_torch_and_numpy_warps_agree():
    img = make_photo(40, 50).astype(np.float32)
    flow = np.random.default_rng(0).uniform(-3, 3, (40, 50, 2)).astype(np.float32)
    a = warp_image(img, flow)
    b = warp(torch.from_numpy(img).permute(2, 0, 1)[None], torch.from_numpy(flow).permute(2, 0, 1)[None])
    assert np.abs(a - b[0].permute(1, 2, 0).numpy()).max() < 0.05


def test_temporal_loss_is_zero_on_a_static_clip():
    out = torch.rand(3, 3, 16, 16)
    assert temporal_loss(out, out.clone(), torch.zeros(3, 2, 16, 16), torch.ones(3, 1, 16, 16)).item() < 1e-12


def test_temporal_loss_sees_change_and_respects_mask():
    a, b = torch.zeros(1, 3, 8, 8), torch.ones(1, 3, 8, 8)
    assert temporal_loss(a, b, torch.zeros(1, 2, 8, 8), torch.ones(1, 1, 8, 8)).item() == 1.0
    assert temporal_loss(a, b, torch.zeros(1, 2, 8, 8), torch.zeros(1, 1, 8, 8)).item() == 0.0


def test_synthetic_pair_flow_is_exact():
    img = make_photo(220, 260)
    prev, cur, flow, mask = synthetic_pair(img, 96, np.random.default_rng(3))
    aligned = warp_image(prev.astype(np.float32), flow)
    err = np.abs(aligned - cur.astype(np.float32)).mean(-1)
    inner = mask.astype(bool)
    inner[:2], inner[-2:], inner[:, :2], inner[:, -2:] = False, False, False, False
    assert mask.mean() > 0.7
    assert err[inner].mean() < 4.0  # bilinear resampling error only


def test_feature_adapters_match_channels():
    ad = FeatureAdapters({"deep": 16, "only_s": 4}, {"deep": 256, "only_t": 8})
    assert ad.taps == ["deep"]
    loss = ad({"deep": torch.rand(2, 16, 8, 8)}, {"deep": torch.rand(2, 256, 4, 4)})
    assert loss.item() > 0


def test_ssim_loss_is_the_metric_bench_reports():
    """1 - ssim_loss on [-1, 1] tensors equals `bench`'s SSIM of the same frames as uint8 over the windows
    inside the frame (the loss pads nothing), is 0 on the teacher itself, and trains the student only."""
    rng = np.random.default_rng(0)
    to_tensor = lambda u8: torch.from_numpy(u8).permute(2, 0, 1)[None].float() / 127.5 - 1  # noqa: E731
    frame = make_photo(72, 88)
    teacher = to_tensor(frame)
    for noise in (5, 50):  # grey levels
        noisy = np.clip(frame + rng.normal(0, noise, frame.shape), 0, 255).round().astype(np.uint8)
        metric = ssim_map(noisy, frame)[5:-5, 5:-5].mean()
        assert abs((1 - float(ssim_loss(to_tensor(noisy), teacher))) - metric) < 1e-5
    assert float(ssim_loss(teacher, teacher)) < 1e-6
    student, target = teacher.clone().requires_grad_(True), (teacher + 0.1).requires_grad_(True)
    ssim_loss(student, target).backward()
    assert student.grad.abs().sum() > 0 and target.grad is None
