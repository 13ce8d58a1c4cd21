"""pix2pix (Isola et al. 2017): a generator learns input -> target pairs, judged by a conditional
PatchGAN that sees (input, output) stacked (6 channels); loss GAN + lambda_l1 * L1.

Its data is one of:
- paired folders: --data-a holds inputs, --data-b their targets, matched by sorted file name (the same
  crop window and flip for both images of a pair);
- photos whose targets a filter computes per augmented crop (`--target-filter cartoon`,
  stylelite.distill.trainers.filter_targets). The built-in cartoon teacher is this source on
  `world`, the data extra's photos and textures (`TeacherTrainConfig`); its held-out PSNR to the filter
  is logged at step 0 and at the end (`heldout_psnr_db`) and written into the weights' metadata.

Recipe of pytorch-CycleGAN-and-pix2pix: U-Net-256 generator (`pix2pix_unet256`, batch norm,
dropout), a 70x70 PatchGAN, Adam lr 2e-4, betas (0.5, 0.999), batch 1, resize to 286 and random 256
crops with flips, constant learning rate for half the run then linear decay to 0, weights
~ N(0, 0.02), and per step the discriminator update, then the generator's. Upstream's pix2pix default
GAN loss is the vanilla (BCE) one; this trainer offers LSGAN (the default here, as the built-in
cartoon teacher uses) or WGAN-GP.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from stylelite.distill.run_dir import first_logged
from stylelite.distill.trainers.cyclegan import discriminator_step_loss
from stylelite.distill.trainers.data import PairedDomains, load_images
from stylelite.distill.trainers.family import TEACHER_FILE, FamilyTrainer
from stylelite.distill.trainers.filter_targets import FILTERS, FilteredCrops, heldout_psnr
from stylelite.distill.trainers.gan import generator_loss, set_requires_grad
from stylelite.models.patchgan import NLayerDiscriminator
from stylelite.models.registry import create_teacher


class Pix2PixTrainer(FamilyTrainer):
    """Generator `g` and conditional discriminator `d`, each with its Adam."""

    progress_keys = ("loss_l1", "loss_d")

    def __init__(self, config, ctx) -> None:
        super().__init__(config, ctx)
        self.g = self.init(create_teacher(config.generator)).train().to(self.device)
        self.d = self.init(NLayerDiscriminator(input_nc=6)).to(self.device)
        self.modules = {"g": self.g, "d": self.d}
        self.optimizers = {"g": self.adam(self.g), "d": self.adam(self.d)}
        self.target = FILTERS[config.target_filter] if config.target_filter else None

    def open_data(self, start: int) -> None:
        c, seed = self.config, self.data_seed(start)
        if self.target is not None:
            photos = load_images(c.data_a, **self.load_kwargs())
            self.data = FilteredCrops(photos, c.crop, seed, c.augment, self.target, c.flip)
        else:
            a = load_images(c.data_a, **self.load_kwargs())
            b = load_images(c.data_b, **self.load_kwargs())
            self.data = PairedDomains(a, b, c.crop, seed, c.flip)
        self.G, self.D = self.ctx.wrap(self.g), self.ctx.wrap(self.d)

    def train_step(self) -> dict[str, float]:
        c = self.config
        x, y = (t.to(self.device) for t in self.data.batch(c.batch))
        fake = self.G(x)
        # Discriminator: real pairs against (detached) fake pairs.
        set_requires_grad([self.d], True)
        loss_d = discriminator_step_loss(
            self.D, torch.cat([x, y], 1), torch.cat([x, fake.detach()], 1), c.gan_loss, c.lambda_gp
        )
        self.optimize("d", loss_d)
        # Generator: fool the updated discriminator (called unwrapped: it gets no gradients) and stay
        # close to the target.
        set_requires_grad([self.d], False)
        loss_gan = generator_loss(self.d(torch.cat([x, fake], 1)), c.gan_loss)
        loss_l1 = F.l1_loss(fake, y)
        loss_g = c.lambda_gan * loss_gan + c.lambda_l1 * loss_l1
        self.optimize("g", loss_g)
        return {
            "loss_d": loss_d.item(),
            "loss_gan": loss_gan.item(),
            "loss_l1": loss_l1.item(),
            "loss_g": loss_g.item(),
        }

    def evaluate(self) -> dict[str, float]:
        """Held-out PSNR to the target filter (filter sources only)."""
        if self.target is None:
            return {}
        score = heldout_psnr(self.g, self.target)
        self.g.train()
        return {"heldout_psnr_db": score}

    def finish(self, run: Path, scores: dict[str, float]) -> None:
        c, meta = self.config, self.weights_meta()
        if self.target is not None:
            from stylelite.distill.photos import HELDOUT_PHOTOS, TRAIN_PHOTOS

            untrained = first_logged(run, "heldout_psnr_db")
            sources = [",".join(TRAIN_PHOTOS) if entry == "builtin" else entry for entry in c.data_a]
            meta.update(
                style=c.target_filter,
                heldout_psnr_db=f"{scores['heldout_psnr_db']:.2f}",
                **({"untrained_heldout_psnr_db": f"{untrained:.2f}"} if untrained is not None else {}),
                heldout_photos=",".join(HELDOUT_PHOTOS),
                train_photos=",".join(sources),
            )
        self.write_weights(run / TEACHER_FILE, self.g.eval(), meta)
