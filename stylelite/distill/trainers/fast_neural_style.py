"""Fast neural style (Johnson, Alahi & Fei-Fei 2016): one TransformerNet per style, trained with the
perceptual loss (stylelite.distill.trainers.perceptual) on content photos.

Recipe of pytorch/examples' fast_neural_style (which trained the released candy/mosaic/udnie/
rain_princess files the `fast_neural_style` teacher loads): the registered TransformerNet with its
default initialisation, pixels in [0, 255] in and out, Adam lr 1e-3, batch 4, 256 px crops, content
weight 1e5 on relu2_2, style weight 1e10 on relu1_2/2_2/3_3/4_3 Grams, plus Johnson et al.'s
total-variation regulariser (weight 1e6 on the mean squared neighbour difference of the [0, 1]
image: a mild smoothing; Johnson et al. cross-validated it per style, so tune --tv-weight).
Steps: 2 epochs of COCO at batch 4 is ~40k steps. The style image's shorter side is resized to the
crop size (or --style-size).
"""

from __future__ import annotations

from pathlib import Path

import torch

from stylelite.distill.trainers.data import ImageDomain, load_images, resize_shorter
from stylelite.distill.trainers.family import TEACHER_FILE, FamilyTrainer
from stylelite.distill.trainers.perceptual import perceptual_loss_from_config
from stylelite.models.registry import create_teacher
from stylelite.models.tensors import to_tensor
from stylelite.runtime.video import read_image

PIXELS = (0.0, 255.0)


def style_image(path: str | Path, size: int) -> torch.Tensor:
    """[1,3,H,W] in [0, 255], the shorter side resized to `size`."""
    return to_tensor(resize_shorter(read_image(path), size), PIXELS)


class FastNeuralStyleTrainer(FamilyTrainer):
    """One TransformerNet for one --style, with the perceptual loss."""

    def __init__(self, config, ctx) -> None:
        super().__init__(config, ctx)
        self.net = self.init(create_teacher("fast_neural_style")).train().to(self.device)
        self.loss = perceptual_loss_from_config(config.vgg, config.vgg_random_width, config.seed).to(self.device)
        self.style_name, path = config.style_entries()[0]
        self.grams = self.loss.style_grams(style_image(path, config.style_size or config.crop).to(self.device))
        self.modules = {"net": self.net}
        self.optimizers = {"net": self.adam(self.net)}

    def open_data(self, start: int) -> None:
        c = self.config
        self.data = ImageDomain(load_images(c.data_a, **self.load_kwargs()), c.crop, self.data_seed(start), c.flip)
        self.NET = self.ctx.wrap(self.net)

    def train_step(self) -> dict[str, float]:
        c = self.config
        x = self.data.batch(c.batch, PIXELS).to(self.device)
        y = self.NET(x)
        terms = self.loss(y, x, self.grams)
        content = c.content_weight * terms["content"].mean()
        style = c.style_weight * terms["style"].mean()
        tv = c.tv_weight * terms["tv"].mean()
        loss = content + style + tv
        self.optimize("net", loss)
        return {"loss": loss.item(), "content": content.item(), "style": style.item(), "tv": tv.item()}

    def finish(self, run: Path, scores: dict[str, float]) -> None:
        meta = self.weights_meta()
        self.write_weights(run / TEACHER_FILE, self.net.eval(), {**meta, "style": self.style_name})
