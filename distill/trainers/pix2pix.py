"""pix2pix (Isola et al. 2017) on paired folders: --data-a holds inputs, --data-b their targets,
matched by sorted file name (the same crop window and flip for both images of a pair).

Recipe of pytorch-CycleGAN-and-pix2pix: U-Net-256 generator (`pix2pix_unet256`, batch norm,
dropout), a conditional 70x70 PatchGAN that sees (input, output) stacked (6 channels), loss
GAN + 100 * L1, Adam lr 2e-4, betas (0.5, 0.999), batch 1, resize to 286 and random 256 crops with
flips, constant learning rate for half the run then linear decay to 0; weights ~ N(0, 0.02).
Upstream's pix2pix default GAN loss is the vanilla (BCE) one; this trainer offers LSGAN (the
default here, as the built-in cartoon teacher uses) or WGAN-GP.

Without --data-a/--data-b, `train-teacher --family pix2pix` runs the built-in cartoon teacher
(distill/train_teacher.py) instead.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from stylelite.distill.trainers.cyclegan import discriminator_step_loss
from stylelite.distill.trainers.data import PairedDomains, load_images
from stylelite.distill.trainers.gan import generator_loss, init_weights, set_requires_grad
from stylelite.distill.trainers.loop import TEACHER_FILE, FamilyTrainer
from stylelite.models.patchgan import NLayerDiscriminator
from stylelite.models.registry import create_teacher


class Pix2PixTrainer(FamilyTrainer):
    def __init__(self, config, ctx) -> None:
        super().__init__(config, ctx)
        self.g = init_weights(create_teacher(config.generator)).train().to(self.device)
        self.d = init_weights(NLayerDiscriminator(input_nc=6)).to(self.device)
        self.modules = {"g": self.g, "d": self.d}
        self.optimizers = {"g": self.adam(self.g), "d": self.adam(self.d)}

    def prepare(self, start: int) -> None:
        c = self.config
        a = load_images(c.data_a, **self.load_kwargs())
        b = load_images(c.data_b, **self.load_kwargs())
        self.data = PairedDomains(a, b, c.crop, self.data_seed(start), c.flip)
        self.G, self.D = self.ctx.wrap(self.g), self.ctx.wrap(self.d)

    def train_step(self) -> dict[str, float]:
        c = self.config
        x, y = (t.to(self.device) for t in self.data.batch(c.batch))
        fake = self.G(x)
        set_requires_grad([self.d], False)
        loss_gan = generator_loss(self.d(torch.cat([x, fake], 1)), c.gan_loss)
        loss_l1 = F.l1_loss(fake, y)
        loss_g = c.lambda_gan * loss_gan + c.lambda_l1 * loss_l1
        self.optimize("g", loss_g)
        set_requires_grad([self.d], True)
        loss_d = discriminator_step_loss(
            self.D, torch.cat([x, y], 1), torch.cat([x, fake.detach()], 1), c.gan_loss, c.lambda_gp
        )
        self.optimize("d", loss_d)
        return {
            "loss_g": loss_g.item(),
            "loss_gan": loss_gan.item(),
            "loss_l1": loss_l1.item(),
            "loss_d": loss_d.item(),
        }

    def save_teacher(self, run: Path, meta: dict) -> None:
        self.write_weights(run / TEACHER_FILE, self.g.eval(), meta)
