"""Distillation losses: pixel, SSIM, feature (GAN Compression style), perceptual (VGG-19), adversarial
(a conditional PatchGAN judging student against teacher outputs, LSGAN) and temporal consistency."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from stylelite.distill.warp import warp


def pixel_loss(student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
    return F.l1_loss(student, teacher)


def color_loss(student: torch.Tensor, teacher: torch.Tensor, scale: int = 8) -> torch.Tensor:
    """L1 of the outputs' low frequencies (means over `scale` x `scale` blocks): a colour cast is a
    small per-pixel error spread over a whole region, which pixel L1 weighs no more than speckle."""
    return F.l1_loss(F.avg_pool2d(student, scale), F.avg_pool2d(teacher, scale))


def ssim_loss(student: torch.Tensor, teacher: torch.Tensor, sigma: float = 1.5) -> torch.Tensor:
    """1 - SSIM (Wang et al. 2004: 11x11 Gaussian window, sigma 1.5, per channel), the measure `bench`
    reports, of [-1, 1] outputs read on [0, 1] as the metric reads uint8 frames, over the windows that
    lie inside the crop. It weighs local contrast and structure (a face's shading, fine texture) where
    pixel L1 settles for a soft average. The teacher's side carries no gradient; fp32 under autocast
    (the variances are differences of squares)."""
    c = student.shape[1]
    x = torch.arange(11, dtype=torch.float32, device=student.device) - 5
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    window = (g[:, None] * g[None, :]).expand(c, 1, 11, 11)
    blur = lambda z: F.conv2d(z, window, groups=c)  # noqa: E731  (valid windows only: no padding at crop edges)
    s, t = (student.float() + 1) / 2, (teacher.detach().float() + 1) / 2  # SSIM is not shift-invariant
    ms, mt = blur(s), blur(t)
    var_s, var_t, cov = blur(s * s) - ms * ms, blur(t * t) - mt * mt, blur(s * t) - ms * mt
    c1, c2 = 0.01**2, 0.03**2  # the metric's constants for a data range of 1
    ssim = ((2 * ms * mt + c1) * (2 * cov + c2)) / ((ms * ms + mt * mt + c1) * (var_s + var_t + c2))
    return 1 - ssim.mean()


class PerceptualDistillLoss(nn.Module):
    """L1 between a frozen VGG-19's activations of the student's and the teacher's outputs, each layer
    divided by the teacher activation's mean magnitude so that layers weigh alike. Texture and edges
    that pixel L1 averages away (a soft student) cost here; the teacher's side runs without gradients."""

    def __init__(self, vgg: nn.Module, layers: tuple[str, ...] = ("relu1_2", "relu2_2", "relu3_2")) -> None:
        super().__init__()
        self.vgg, self.layers = vgg, layers

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target = self.vgg(teacher.float(), self.layers)
        out = self.vgg(student.float(), self.layers)
        return torch.stack(
            [F.l1_loss(out[k], target[k]) / target[k].abs().mean().clamp_min(1e-6) for k in self.layers]
        ).mean()


class GramStyleLoss(nn.Module):
    """L1 between the Gram matrices (channel-by-channel feature correlations, per image) of a frozen VGG-19's
    activations of the student's and the teacher's outputs, each layer divided by the teacher Gram's mean
    magnitude. The style losses style networks are trained with (Gatys et al., Johnson et al.): a stroke drawn
    a few pixels off costs little here, a texture averaged into blur costs much."""

    def __init__(self, vgg: nn.Module, layers: tuple[str, ...] = ("relu1_2", "relu2_2", "relu3_4", "relu4_4")) -> None:
        super().__init__()
        self.vgg, self.layers = vgg, layers

    @staticmethod
    def gram(f: torch.Tensor) -> torch.Tensor:
        b, c, h, w = f.shape
        f = f.reshape(b, c, h * w)
        return f @ f.transpose(1, 2) / (c * h * w)

    def forward(self, student: torch.Tensor, teacher: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            target = {k: self.gram(v) for k, v in self.vgg(teacher.float(), self.layers).items()}
        out = self.vgg(student.float(), self.layers)
        return torch.stack(
            [F.l1_loss(self.gram(out[k]), target[k]) / target[k].abs().mean().clamp_min(1e-8) for k in self.layers]
        ).mean()


def discriminator_loss(disc: nn.Module, x: torch.Tensor, teacher: torch.Tensor, student: torch.Tensor) -> torch.Tensor:
    """LSGAN loss of a conditional discriminator D(input, output): the teacher's output is real (1), the
    student's is fake (0); `student` is detached here."""
    real = disc(torch.cat([x, teacher], 1))
    fake = disc(torch.cat([x, student.detach()], 1))
    return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()


def adversarial_loss(disc: nn.Module, x: torch.Tensor, student: torch.Tensor) -> torch.Tensor:
    """The student's LSGAN term: its output should read as the teacher's (D -> 1). Gradients reach the
    student only (the discriminator's weights are frozen for this term)."""
    disc.requires_grad_(False)
    try:
        return ((disc(torch.cat([x, student], 1)) - 1) ** 2).mean()
    finally:
        disc.requires_grad_(True)


class FeatureAdapters(nn.Module):
    """Learnable 1x1 convs mapping student taps onto teacher taps (Li et al., GAN Compression).

    The loss is an MSE normalised by the teacher feature's variance, so taps of different
    magnitude weigh the same.
    """

    def __init__(self, student_channels: dict[str, int], teacher_channels: dict[str, int]) -> None:
        super().__init__()
        self.taps = sorted(set(student_channels) & set(teacher_channels))  # none for a graph teacher
        self.maps = nn.ModuleDict({t: nn.Conv2d(student_channels[t], teacher_channels[t], 1) for t in self.taps})

    def forward(self, student_feats: dict[str, torch.Tensor], teacher_feats: dict[str, torch.Tensor]) -> torch.Tensor:
        losses = []
        for t in self.taps:
            s, target = self.maps[t](student_feats[t]), teacher_feats[t].float()
            if s.shape[-2:] != target.shape[-2:]:
                s = F.interpolate(s, size=target.shape[-2:], mode="bilinear", align_corners=False)
            losses.append(F.mse_loss(s, target) / target.var().clamp_min(1e-6))
        return torch.stack(losses).mean()


def temporal_loss(
    out_prev: torch.Tensor, out_cur: torch.Tensor, flow_cur_to_prev: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Masked MSE between out_cur and out_prev warped onto the current frame.

    flow_cur_to_prev [B,2,H,W] maps current pixels to the previous frame; mask [B,1,H,W] is 1
    where that flow is reliable (not occluded, inside the frame). Zero on a static clip.
    """
    diff = (warp(out_prev, flow_cur_to_prev) - out_cur) ** 2
    return (diff * mask).sum() / (mask.sum() * out_cur.shape[1]).clamp_min(1.0)


def long_term_temporal_loss(
    pairs: list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]],
) -> torch.Tensor:
    """Mean of `temporal_loss` over long-term pairs (t-k -> t), one (out_prev, out_cur, flow, mask) per k.

    Each flow maps frame t to frame t-k (for synthetic pairs from stills: k composed camera motions,
    exact; for video: the clip's flow t -> t-k with its forward-backward mask). Short-term consistency
    alone lets colours drift slowly; these pairs tie frames k apart (Ruder et al. 2016 use k in
    {1, 2, 5, 10}; here DistillConfig.long_term_offsets, default (5,)). Unlike Ruder et al. the masks
    of different k are not made exclusive: a pixel seen by several k counts once per k.
    """
    if not pairs:
        raise ValueError("long_term_temporal_loss needs at least one pair")
    return torch.stack([temporal_loss(*p) for p in pairs]).mean()


def random_affine_flow(
    n: int,
    h: int,
    w: int,
    generator: torch.Generator | None = None,
    max_shift: float = 4.0,
    max_zoom: float = 0.05,
    max_roll_deg: float = 2.0,
    dtype: torch.dtype = torch.float32,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Flows [n,2,h,w] of small random known transforms T (shift, zoom, roll about the centre), and
    masks [n,1,h,w] that are 1 where T samples inside the frame. warp(x, flow) is T(x)."""
    g = generator
    u = lambda lim: (torch.rand(n, generator=g, dtype=torch.float64) * 2 - 1) * lim  # noqa: E731
    zoom, ang = 1.0 + u(max_zoom), torch.deg2rad(u(max_roll_deg))
    tx, ty = u(max_shift), u(max_shift)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64), indexing="ij")
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    dx, dy = xs - cx, ys - cy  # [h,w]
    c, s = (torch.cos(ang) / zoom).view(n, 1, 1), (torch.sin(ang) / zoom).view(n, 1, 1)
    sx = c * dx - s * dy + cx + tx.view(n, 1, 1)  # source point of each pixel, [n,h,w]
    sy = s * dx + c * dy + cy + ty.view(n, 1, 1)
    flow = torch.stack([sx - xs, sy - ys], 1)
    mask = ((sx >= 0) & (sx <= w - 1) & (sy >= 0) & (sy <= h - 1))[:, None]
    return flow.to(dtype), mask.to(dtype)


def single_frame_loss(
    model: nn.Module, x: torch.Tensor, flow: torch.Tensor, mask: torch.Tensor, out: torch.Tensor | None = None
) -> torch.Tensor:
    """Single-frame regularization (Eilertsen et al. 2019): ||f(T(x)) - T(f(x))||^2 on the valid mask.

    x [B,3,H,W] are still crops, T a small known transform given as a flow (random_affine_flow), so
    datasets without video still teach the student to move with its input instead of flickering.
    `out` may pass f(x) when it is already computed. Zero for any per-pixel model (a 1x1 conv commutes
    with bilinear warping). Typical weight (DistillConfig.w_single_frame): 1-10, like w_temporal.
    """
    fx = model(x) if out is None else out
    return temporal_loss(fx, model(warp(x, flow)), flow, mask)


def recurrent_losses(
    model: nn.Module,
    x: torch.Tensor,
    out_x: torch.Tensor,
    target_x: torch.Tensor,
    flow: torch.Tensor,
    mask: torch.Tensor,
    prev_noise: float = 0.05,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The second frame of a recurrent student (model(x, prev)): (masked pixel loss, temporal loss).

    x [B,3,H,W] is frame t-1 with the student's output out_x (a first frame: prev = initial_prev) and the
    teacher's target_x. Frame t is x moved by a known transform (cur = warp(x, flow), random_affine_flow),
    run with prev = out_x plus Gaussian noise of std `prev_noise` (half the batch gets target_x plus noise
    instead, the teacher's view of t-1). The pixel loss is L1 to the teacher's target moved the same way
    (warp(target_x, flow), on the valid mask); since prev is misaligned by the motion, copying prev does
    not pay. The temporal loss is temporal_loss(out_x, out_cur): gradients flow through both frames.
    """
    cur, target = warp(x, flow), warp(target_x, flow)
    prev = out_x.clone()
    half = len(x) // 2
    if half:
        prev[:half] = target_x[:half].to(prev.dtype)
    if prev_noise:
        prev = prev + prev_noise * torch.randn(prev.shape, generator=generator, dtype=prev.dtype).to(prev.device)
    out = model(cur, prev)
    pix = ((out - target).abs() * mask).sum() / (mask.sum() * out.shape[1]).clamp_min(1.0)
    return pix, temporal_loss(out_x, out, flow, mask)
