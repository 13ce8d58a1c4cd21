"""Multi-style training: one `multistyle` network (TransformerNet + AdaIN, stylelite.models.multistyle)
learns every --style image and an identity code, with the fast-neural-style perceptual objective.

As Dumoulin et al. (2017) train their N-style network: each sample of a batch gets a random style
(one-hot weights, strength 1) and the usual perceptual loss against that style's Gram targets. With
probability 1/(N+1) a sample gets the identity code instead (strength 0), trained to reproduce its
input: content loss plus `identity_weight` x pixel MSE (on the [0, 1] scale). The identity code is
what strength 0 renders and what intermediate strengths interpolate from.

Defaults follow fast_neural_style (Adam lr 1e-3, batch 4, 256 px crops, content 1e5, style 1e10);
the network works in [-1, 1], so its output is mapped to [0, 255] for the loss.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from stylelite.distill.trainers.data import ImageDomain, load_images
from stylelite.distill.trainers.family import TEACHER_FILE, FamilyTrainer
from stylelite.distill.trainers.fast_neural_style import style_image
from stylelite.distill.trainers.perceptual import STYLE_LAYERS, perceptual_loss_from_config
from stylelite.models.registry import create_teacher
from stylelite.models.styled import StyledGraph


class MultiStyleTrainer(FamilyTrainer):
    """One AdaIN network for every --style (and the identity code), with the perceptual loss."""

    def __init__(self, config, ctx) -> None:
        super().__init__(config, ctx)
        self.net = self.init(create_teacher("multistyle")).train().to(self.device)
        entries = config.style_entries()
        self.names = [name for name, _ in entries]
        self.net.set_style_names(self.names)
        self.loss = perceptual_loss_from_config(config.vgg, config.vgg_random_width, config.seed).to(self.device)
        per_style = [
            self.loss.style_grams(style_image(path, config.style_size or config.crop).to(self.device))
            for _, path in entries
        ]
        self.grams = {layer: torch.stack([g[layer] for g in per_style]) for layer in STYLE_LAYERS}  # [N,C,C]
        self.modules = {"net": self.net}
        self.optimizers = {"net": self.adam(self.net)}

    def open_data(self, start: int) -> None:
        c, seed = self.config, self.data_seed(start)
        self.data = ImageDomain(load_images(c.data_a, **self.load_kwargs()), c.crop, seed, c.flip)
        self.rng = np.random.default_rng(seed + 5)
        self.NET = self.ctx.wrap(StyledGraph(self.net))  # forward = forward_styled, so DDP can wrap it

    def train_step(self) -> dict[str, float]:
        c, n = self.config, len(self.names)
        x = self.data.batch(c.batch).to(self.device)  # [-1, 1]
        k = torch.from_numpy(self.rng.integers(0, n + 1, size=c.batch)).to(self.device)  # n: identity
        identity = k == n
        style_idx = k.clamp_max(n - 1)
        weights = F.one_hot(style_idx, n).float()
        strength = (~identity).float()
        y = self.NET(x, weights, strength)
        x255, y255 = (x + 1) * 127.5, (y + 1) * 127.5
        terms = self.loss(y255, x255, {layer: g[style_idx] for layer, g in self.grams.items()})
        pixel = (y - x).div(2).pow(2).flatten(1).mean(1)  # MSE on the [0, 1] scale
        styled = ~identity
        per_sample = c.content_weight * terms["content"] + torch.where(
            styled,
            c.style_weight * terms["style"] + c.tv_weight * terms["tv"],
            c.identity_weight * pixel,
        )
        loss = per_sample.mean()
        self.optimize("net", loss)

        def masked_mean(v: torch.Tensor, mask: torch.Tensor) -> float:
            return float(v[mask].mean()) if bool(mask.any()) else 0.0

        return {
            "loss": loss.item(),
            "content": c.content_weight * terms["content"].mean().item(),
            "style": c.style_weight * masked_mean(terms["style"].detach(), styled),
            "identity_pixel": c.identity_weight * masked_mean(pixel.detach(), identity),
        }

    def finish(self, run: Path, scores: dict[str, float]) -> None:
        meta = self.weights_meta()
        self.write_weights(run / TEACHER_FILE, self.net.eval(), {**meta, "styles": ",".join(self.names)})
