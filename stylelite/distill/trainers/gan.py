"""Adversarial pieces shared by the GAN families: the image history pool, the LSGAN and WGAN-GP
objectives, and the published weight initialisation."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class ImagePool:
    """The history of generated images of Shrivastava et al. (2017), as CycleGAN uses it.

    Until `size` images are stored, every image is stored and returned as is. Afterwards each
    image is, with probability 0.5, swapped for a random stored one (which is returned, and the new
    image stored in its place), else returned as is. The discriminator thus also sees older fakes.
    `size=0` turns the pool off.
    """

    def __init__(self, size: int = 50, seed: int = 0) -> None:
        self.size = size
        self.images: list[torch.Tensor] = []
        self.rng = np.random.default_rng(seed)

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """[B,C,H,W] (detached) -> [B,C,H,W] drawn from the images and the history."""
        images = images.detach()
        if self.size == 0:
            return images
        out = []
        for img in images:
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif self.rng.random() < 0.5:
                i = int(self.rng.integers(self.size))
                out.append(self.images[i])
                self.images[i] = img.clone()
            else:
                out.append(img)
        return torch.stack(out)


def critic_score(pred: torch.Tensor) -> torch.Tensor:
    """A patch critic's per-sample score: the mean over its output map. [B,...] -> [B]."""
    return pred.flatten(1).mean(1)


def discriminator_loss(real_pred: torch.Tensor, fake_pred: torch.Tensor, mode: str) -> torch.Tensor:
    """LSGAN: 0.5 * (E(D(real) - 1)^2 + E D(fake)^2). WGAN: E D(fake) - E D(real) (add the penalty)."""
    if mode == "lsgan":
        return 0.5 * (
            F.mse_loss(real_pred, torch.ones_like(real_pred)) + F.mse_loss(fake_pred, torch.zeros_like(fake_pred))
        )
    return critic_score(fake_pred).mean() - critic_score(real_pred).mean()


def generator_loss(fake_pred: torch.Tensor, mode: str) -> torch.Tensor:
    """LSGAN: E(D(fake) - 1)^2. WGAN: -E D(fake)."""
    if mode == "lsgan":
        return F.mse_loss(fake_pred, torch.ones_like(fake_pred))
    return -critic_score(fake_pred).mean()


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, weight: float = 10.0) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): weight * E[(||grad_x D(x_hat)||_2 - 1)^2] at random points
    x_hat = a * real + (1 - a) * fake on the lines between real and fake samples (a ~ U[0, 1] per
    sample). Zero for a critic whose gradient has unit norm there, e.g. x -> <w, x> with ||w|| = 1."""
    a = torch.rand(real.shape[0], *([1] * (real.ndim - 1)), device=real.device, dtype=real.dtype)
    x_hat = (a * real.detach() + (1 - a) * fake.detach()).requires_grad_(True)
    score = critic_score(critic(x_hat))
    (grad,) = torch.autograd.grad(score.sum(), x_hat, create_graph=True)
    return weight * ((grad.flatten(1).norm(2, dim=1) - 1) ** 2).mean()


def init_weights(module: nn.Module, gain: float = 0.02) -> nn.Module:
    """CycleGAN / pix2pix / UNIT initialisation: conv and linear weights ~ N(0, gain), biases 0,
    norm scales ~ N(1, gain)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(m.weight, 0.0, gain)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, (nn.BatchNorm2d, nn.InstanceNorm2d)) and m.weight is not None:
            nn.init.normal_(m.weight, 1.0, gain)
            nn.init.zeros_(m.bias)
    return module


def set_requires_grad(modules: list[nn.Module], flag: bool) -> None:
    for m in modules:
        for p in m.parameters():
            p.requires_grad_(flag)
