"""UNIT (Liu, Breuel & Kautz, NIPS 2017): coupled VAE-GANs with a shared latent space, unpaired.

Generator: stylelite.models.unit.UNIT (the NIPS release architecture; see that module). Per step,
with x_a, x_b from each domain and z = mu + N(0, I) from the shared encoder layers:

    L_G = w_gan (GAN(D_a, x_ba) + GAN(D_b, x_ab))           adversarial, on translations
        + w_recon (|x_aa - x_a|_1 + |x_bb - x_b|_1)           VAE reconstruction
        + w_kl (mean mu_a^2 + mean mu_b^2)                    VAE KL to N(0, I) (unit variance)
        + w_cycle (|x_aba - x_a|_1 + |x_bab - x_b|_1)         cycle through the shared latent
        + w_kl_cycle (mean mu_ab^2 + mean mu_ba^2)            KL of the re-encoded translations

Defaults are the authors' PyTorch release (configs/unit_*.yaml): w_gan 1, w_recon 10, w_kl 0.01,
w_cycle 10, w_kl_cycle 0.01 (the NIPS ratios 10 : 100 : 0.1 : 100 : 0.1, divided by 10), Adam lr 1e-4,
betas (0.5, 0.999), weight decay 1e-4, lr halved every 100k steps, batch 1, 256 px crops, weights
~ N(0, 0.02). Discriminators: the repo's 70x70 PatchGAN with LSGAN (the authors' later release also
uses LSGAN patch discriminators, multi-scale; the NIPS code used a 6-layer BCE discriminator).
"""

from __future__ import annotations

from pathlib import Path

import torch.nn.functional as F

from stylelite.distill.trainers.cyclegan import discriminator_step_loss
from stylelite.distill.trainers.data import ImageDomain, load_images
from stylelite.distill.trainers.family import TEACHER_FILE, FamilyTrainer
from stylelite.distill.trainers.gan import generator_loss, set_requires_grad
from stylelite.models.patchgan import NLayerDiscriminator
from stylelite.models.unit import UNIT, UnitTranslator


class UNITTrainer(FamilyTrainer):
    """The coupled UNIT generator and discriminators d_a, d_b, each side with its Adam."""

    def __init__(self, config, ctx) -> None:
        super().__init__(config, ctx)
        dev = self.device
        self.unit = self.init(UNIT(64, 3, 1)).train().to(dev)
        self.d_a = self.init(NLayerDiscriminator(input_nc=3)).to(dev)
        self.d_b = self.init(NLayerDiscriminator(input_nc=3)).to(dev)
        self.modules = {"unit": self.unit, "d_a": self.d_a, "d_b": self.d_b}
        self.optimizers = {"g": self.adam(self.unit), "d": self.adam(self.d_a, self.d_b)}

    def open_data(self, start: int) -> None:
        c, seed = self.config, self.data_seed(start)
        self.data_a = ImageDomain(load_images(c.data_a, **self.load_kwargs()), c.crop, seed, c.flip)
        self.data_b = ImageDomain(load_images(c.data_b, **self.load_kwargs()), c.crop, seed + 1, c.flip)
        self.UNIT, self.D_a, self.D_b = self.ctx.wrap(self.unit), self.ctx.wrap(self.d_a), self.ctx.wrap(self.d_b)

    def train_step(self) -> dict[str, float]:
        c = self.config
        x_a = self.data_a.batch(c.batch).to(self.device)
        x_b = self.data_b.batch(c.batch).to(self.device)
        set_requires_grad([self.d_a, self.d_b], False)
        o = self.UNIT(x_a, x_b)  # one call: DDP sees the whole generator pass
        loss_gan = generator_loss(self.d_a(o["x_ba"]), c.gan_loss) + generator_loss(self.d_b(o["x_ab"]), c.gan_loss)
        loss_recon = F.l1_loss(o["x_aa"], x_a) + F.l1_loss(o["x_bb"], x_b)
        loss_kl = o["mu_a"].pow(2).mean() + o["mu_b"].pow(2).mean()
        loss_cycle = F.l1_loss(o["x_aba"], x_a) + F.l1_loss(o["x_bab"], x_b)
        loss_kl_cycle = o["mu_aba"].pow(2).mean() + o["mu_bab"].pow(2).mean()
        loss_g = (
            c.lambda_gan * loss_gan
            + c.lambda_recon * loss_recon
            + c.lambda_kl * loss_kl
            + c.lambda_cycle * loss_cycle
            + c.lambda_kl_cycle * loss_kl_cycle
        )
        self.optimize("g", loss_g)
        set_requires_grad([self.d_a, self.d_b], True)
        loss_d_a = discriminator_step_loss(self.D_a, x_a, o["x_ba"].detach(), c.gan_loss, c.lambda_gp)
        loss_d_b = discriminator_step_loss(self.D_b, x_b, o["x_ab"].detach(), c.gan_loss, c.lambda_gp)
        self.optimize("d", loss_d_a + loss_d_b)
        return {
            "loss_g": loss_g.item(),
            "loss_gan": loss_gan.item(),
            "loss_recon": loss_recon.item(),
            "loss_kl": loss_kl.item(),
            "loss_cycle": loss_cycle.item(),
            "loss_kl_cycle": loss_kl_cycle.item(),
            "loss_d_a": loss_d_a.item(),
            "loss_d_b": loss_d_b.item(),
        }

    def finish(self, run: Path, scores: dict[str, float]) -> None:
        from stylelite.models.registry import create_teacher

        meta = self.weights_meta()
        for direction, name in (("a2b", TEACHER_FILE), ("b2a", "teacher_b2a_fp16.safetensors")):
            model = create_teacher("unit_a2b")  # the registered card; the weights come from the UNIT
            model.load_state_dict(UnitTranslator.from_unit(self.unit, direction).state_dict())
            self.write_weights(run / name, model, {**meta, "direction": direction})
