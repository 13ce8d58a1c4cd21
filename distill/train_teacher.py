"""Train the built-in teacher: a CycleGAN ResNet-9 generator learning the cartoon filter
from paired photos with a conditional PatchGAN (pix2pix objective: LSGAN + lambda * L1)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from stylelite.distill.cartoon import cartoonize
from stylelite.distill.photos import HELDOUT_PHOTOS, TRAIN_PHOTOS, builtin_photos
from stylelite.distill.run_dir import ScalarLog, new_run_dir, save_resolved_config
from stylelite.distill.training_state import load_training_state, save_training_state, save_weights
from stylelite.models.patchgan import NLayerDiscriminator
from stylelite.models.registry import create_teacher
from stylelite.models.tensors import run_model, to_tensor
from stylelite.runtime.errors import ConfigError
from stylelite.runtime.metrics import psnr


@dataclass(frozen=True)
class TeacherTrainConfig:
    teacher: str = "cyclegan_r9_bn"
    steps: int = 1600
    batch: int = 4
    crop: int = 96
    lr: float = 2e-4
    lambda_l1: float = 100.0
    decay_from: float = 0.5  # linear LR decay to 0 over the last half, as pix2pix
    seed: int = 0
    threads: int = 0  # 0: torch default
    save_every: int = 100
    augment: bool = True

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch < 1:
            raise ConfigError("steps and batch must be >= 1")
        if self.crop < 32 or self.crop % 4:
            raise ConfigError(f"crop={self.crop}: use a multiple of 4, at least 32")
        if not 0.0 <= self.decay_from <= 1.0:
            raise ConfigError("decay_from is a fraction of the run, between 0 and 1")


class PairedCrops:
    """Random photo crops and their cartoon targets, with scale, flip and colour augmentation.

    The target is computed on each augmented crop (with a margin, then cropped), so the
    network learns the filter itself rather than the palette of a handful of photos.
    """

    def __init__(self, photos: dict[str, np.ndarray], crop: int, seed: int, augment: bool = True) -> None:
        self.photos = [p for p in photos.values() if min(p.shape[:2]) >= crop]
        self.crop, self.augment = crop, augment
        self.rng = np.random.default_rng(seed)

    def _augment(self, img: np.ndarray) -> np.ndarray:
        import cv2

        r = self.rng
        h, w = img.shape[:2]
        s = r.uniform(max(0.45, (self.crop + 32) / min(h, w)), 1.0)
        img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).astype(np.float32)
        hsv[..., 0] = (hsv[..., 0] + r.uniform(0, 180)) % 180  # any hue
        hsv[..., 1] *= r.uniform(0.3, 1.3)
        hsv[..., 2] = hsv[..., 2] * r.uniform(0.6, 1.25) + r.uniform(-20, 20)
        return cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2RGB)

    def sample(self) -> tuple[np.ndarray, np.ndarray]:
        photo = self.photos[self.rng.integers(len(self.photos))]
        m = 16  # margin so the filter's border effects stay outside the crop
        c = self.crop + 2 * m
        if self.augment:
            h, w = photo.shape[:2]
            y0, x0 = self.rng.integers(h - c + 1), self.rng.integers(w - c + 1)
            big = photo[max(0, y0 - c) : y0 + 2 * c, max(0, x0 - c) : x0 + 2 * c]  # local context, cheap to augment
            photo = self._augment(big if min(big.shape[:2]) >= c else photo)
        h, w = photo.shape[:2]
        y0, x0 = self.rng.integers(h - c + 1), self.rng.integers(w - c + 1)
        window = photo[y0 : y0 + c, x0 : x0 + c]
        a, b = window[m:-m, m:-m], cartoonize(window)[m:-m, m:-m]
        if self.rng.random() < 0.5:
            a, b = a[:, ::-1], b[:, ::-1]
        return a, b

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        xs, ys = zip(*(self.sample() for _ in range(n)))
        return to_tensor(np.stack(xs)), to_tensor(np.stack(ys))


def heldout_psnr(model: nn.Module, size: int = 256) -> float:
    """Mean PSNR (dB) of the model's output to the cartoon target on the held-out photos."""
    import cv2

    scores = []
    for photo in builtin_photos("heldout").values():
        h, w = photo.shape[:2]
        s = size / max(h, w)
        small = cv2.resize(photo, (round(w * s / 4) * 4, round(h * s / 4) * 4), interpolation=cv2.INTER_AREA)
        scores.append(psnr(run_model(model.eval(), small), cartoonize(small)))
    return float(np.mean(scores))


def train_teacher(
    out: str | Path = "runs",
    resume: str | Path | None = None,
    config: TeacherTrainConfig | None = None,
    progress: bool = True,
) -> Path:
    """Train (or resume) the built-in teacher; return the run folder.

    The run folder holds config.json, versions.json, log.jsonl, tb/, state.safetensors
    (resumable) and teacher_fp16.safetensors (the shippable weights).
    """
    from tqdm import tqdm

    if resume:
        run = Path(resume)
        if not (run / "config.json").is_file():
            raise ConfigError(f"{run} is not a train-teacher run folder (no config.json)")
        from stylelite.distill.run_dir import load_config_json

        config = TeacherTrainConfig(**load_config_json(run))
    else:
        config = config or TeacherTrainConfig()
        run = new_run_dir(out, f"{config.teacher}-cartoon")
        save_resolved_config(run, config)
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    g = create_teacher(config.teacher).train()
    d = NLayerDiscriminator(input_nc=6)  # conditional: sees (photo, output)
    opt_g = torch.optim.Adam(g.parameters(), lr=config.lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=config.lr, betas=(0.5, 0.999))
    start = 0
    state_path = run / "state.safetensors"
    if resume and state_path.exists():
        start = load_training_state(state_path, {"g": g, "d": d}, {"g": opt_g, "d": opt_d})["step"]
    data = PairedCrops(builtin_photos("train"), config.crop, config.seed + start, config.augment)
    log = ScalarLog(run)
    mse, l1 = nn.MSELoss(), nn.L1Loss()
    decay_start = int(config.steps * config.decay_from)

    def lr_at(step: int) -> float:
        if step < decay_start:
            return config.lr
        return config.lr * max(0.0, 1.0 - (step - decay_start) / max(1, config.steps - decay_start))

    if start == 0:
        log.log(0, heldout_psnr_db=heldout_psnr(g))
        g.train()
    t0 = time.time()
    bar = tqdm(
        range(start, config.steps),
        initial=start,
        total=config.steps,
        disable=not progress,
        desc="train-teacher",
        unit="step",
    )
    for step in bar:
        for opt in (opt_g, opt_d):
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
        x, y = data.batch(config.batch)
        fake = g(x)
        # Discriminator: real pairs -> 1, fake pairs -> 0 (least squares).
        opt_d.zero_grad(set_to_none=True)
        p_real, p_fake = d(torch.cat([x, y], 1)), d(torch.cat([x, fake.detach()], 1))
        loss_d = 0.5 * (mse(p_real, torch.ones_like(p_real)) + mse(p_fake, torch.zeros_like(p_fake)))
        loss_d.backward()
        opt_d.step()
        # Generator: fool D and stay close to the target.
        opt_g.zero_grad(set_to_none=True)
        p = d(torch.cat([x, fake], 1))
        loss_gan = mse(p, torch.ones_like(p))
        loss_l1 = l1(fake, y)
        (loss_gan + config.lambda_l1 * loss_l1).backward()
        opt_g.step()
        done = step + 1
        if done % 10 == 0:
            log.log(
                done,
                loss_d=loss_d.item(),
                loss_gan=loss_gan.item(),
                loss_l1=loss_l1.item(),
                lr=lr_at(step),
                sec_per_step=(time.time() - t0) / (done - start),
            )
            bar.set_postfix(l1=f"{loss_l1.item():.3f}", d=f"{loss_d.item():.3f}")
        if done % config.save_every == 0 or done == config.steps:
            save_training_state(state_path, {"g": g, "d": d}, {"g": opt_g, "d": opt_d}, {"step": done})
    score = heldout_psnr(g)
    log.log(config.steps, heldout_psnr_db=score)
    log.close()
    from stylelite.runtime.files import read_jsonl

    untrained = next(r["heldout_psnr_db"] for r in read_jsonl(log.path) if "heldout_psnr_db" in r)
    save_weights(
        run / "teacher_fp16.safetensors",
        g,
        dtype=torch.float16,
        metadata={
            "teacher": config.teacher,
            "style": "cartoon",
            "steps": config.steps,
            "heldout_psnr_db": f"{score:.2f}",
            "untrained_heldout_psnr_db": f"{untrained:.2f}",
            "heldout_photos": ",".join(HELDOUT_PHOTOS),
            "train_photos": ",".join(TRAIN_PHOTOS),
        },
    )
    return run
