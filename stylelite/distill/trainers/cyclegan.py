"""CycleGAN (Zhu et al. 2017), unpaired, with the published recipe of pytorch-CycleGAN-and-pix2pix:

- generators G_ab: A->B and G_ba: B->A, registered ResNet generators (`cyclegan_r9`, default at 256 px;
  `cyclegan_r6` for 128 px), weights ~ N(0, 0.02);
- discriminators D_a, D_b: 70x70 PatchGANs (n_layers=3, InstanceNorm), judging domain A and B;
- LSGAN objective (`--gan-loss wgangp`: WGAN critic loss + gradient penalty, lambda_gp 10);
- cycle loss lambda * (|G_ba(G_ab(a)) - a|_1 + |G_ab(G_ba(b)) - b|_1), lambda = 10, and identity loss
  0.5 * lambda * (|G_ab(b) - b|_1 + |G_ba(a) - a|_1);
- the discriminators learn from a 50-image history of fakes (ImagePool);
- Adam lr 2e-4, betas (0.5, 0.999), batch 1; the learning rate stays constant for the first half and
  decays linearly to 0 over the second (100 + 100 epochs upstream; here in steps);
- data: the shorter side resized to 286, random 256 crops, horizontal flips (upstream resizes to a
  286x286 square; we keep the aspect ratio).

Under WGAN-GP the same Adam settings and one critic step per generator step are used (Gulrajani et
al. use 5 critic steps and betas (0, 0.9)); the PatchGAN critic's score is the mean of its patch map.
The history pool is not part of the resumable state (upstream does not save it either).
"""

from __future__ import annotations

from pathlib import Path

import torch.nn.functional as F

from stylelite.distill.trainers.data import ImageDomain, load_images
from stylelite.distill.trainers.family import TEACHER_FILE, FamilyTrainer
from stylelite.distill.trainers.gan import (
    ImagePool,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    set_requires_grad,
)
from stylelite.models.patchgan import NLayerDiscriminator
from stylelite.models.registry import create_teacher


def discriminator_step_loss(d, real, fake, mode: str, lambda_gp: float):
    """The discriminator's loss on a real and a (detached) fake batch, with the penalty under WGAN-GP."""
    loss = discriminator_loss(d(real), d(fake), mode)
    if mode == "wgangp" and lambda_gp > 0:
        loss = loss + gradient_penalty(d, real, fake, lambda_gp)
    return loss


class CycleGANTrainer(FamilyTrainer):
    """Generators g_ab, g_ba and discriminators d_a, d_b; one Adam for the generators, one for the discriminators."""

    def __init__(self, config, ctx) -> None:
        super().__init__(config, ctx)
        dev = self.device
        self.g_ab = self.init(create_teacher(config.generator)).train().to(dev)
        self.g_ba = self.init(create_teacher(config.generator)).train().to(dev)
        self.d_a = self.init(NLayerDiscriminator(input_nc=3)).to(dev)
        self.d_b = self.init(NLayerDiscriminator(input_nc=3)).to(dev)
        self.modules = {"g_ab": self.g_ab, "g_ba": self.g_ba, "d_a": self.d_a, "d_b": self.d_b}
        self.optimizers = {"g": self.adam(self.g_ab, self.g_ba), "d": self.adam(self.d_a, self.d_b)}

    def open_data(self, start: int) -> None:
        c, seed = self.config, self.data_seed(start)
        self.data_a = ImageDomain(load_images(c.data_a, **self.load_kwargs()), c.crop, seed, c.flip)
        self.data_b = ImageDomain(load_images(c.data_b, **self.load_kwargs()), c.crop, seed + 1, c.flip)
        self.pool_a, self.pool_b = ImagePool(c.pool_size, seed + 2), ImagePool(c.pool_size, seed + 3)
        wrap = self.ctx.wrap
        self.G_ab, self.G_ba, self.D_a, self.D_b = wrap(self.g_ab), wrap(self.g_ba), wrap(self.d_a), wrap(self.d_b)

    def train_step(self) -> dict[str, float]:
        c = self.config
        real_a = self.data_a.batch(c.batch).to(self.device)
        real_b = self.data_b.batch(c.batch).to(self.device)
        # Generators, with the discriminators frozen (called unwrapped: they get no gradients here).
        set_requires_grad([self.d_a, self.d_b], False)
        fake_b = self.G_ab(real_a)
        rec_a = self.G_ba(fake_b)
        fake_a = self.G_ba(real_b)
        rec_b = self.G_ab(fake_a)
        loss_gan = generator_loss(self.d_b(fake_b), c.gan_loss) + generator_loss(self.d_a(fake_a), c.gan_loss)
        loss_cycle = c.lambda_cycle * (F.l1_loss(rec_a, real_a) + F.l1_loss(rec_b, real_b))
        loss_g = c.lambda_gan * loss_gan + loss_cycle
        loss_idt = loss_g.new_zeros(())
        if c.lambda_identity > 0:
            idt_b, idt_a = self.G_ab(real_b), self.G_ba(real_a)
            loss_idt = c.lambda_cycle * c.lambda_identity * (F.l1_loss(idt_b, real_b) + F.l1_loss(idt_a, real_a))
            loss_g = loss_g + loss_idt
        self.optimize("g", loss_g)
        # Discriminators, on real images and fakes drawn from the history.
        set_requires_grad([self.d_a, self.d_b], True)
        loss_d_b = discriminator_step_loss(self.D_b, real_b, self.pool_b.query(fake_b), c.gan_loss, c.lambda_gp)
        loss_d_a = discriminator_step_loss(self.D_a, real_a, self.pool_a.query(fake_a), c.gan_loss, c.lambda_gp)
        self.optimize("d", loss_d_a + loss_d_b)
        return {
            "loss_g": loss_g.item(),
            "loss_gan": loss_gan.item(),
            "loss_cycle": loss_cycle.item(),
            "loss_identity": loss_idt.item(),
            "loss_d_a": loss_d_a.item(),
            "loss_d_b": loss_d_b.item(),
        }

    def finish(self, run: Path, scores: dict[str, float]) -> None:
        meta = self.weights_meta()
        self.write_weights(run / TEACHER_FILE, self.g_ab.eval(), {**meta, "direction": "a2b"})
        self.write_weights(run / "teacher_b2a_fp16.safetensors", self.g_ba.eval(), {**meta, "direction": "b2a"})
