"""UNIT (Liu, Breuel & Kautz, "Unsupervised Image-to-Image Translation Networks", NIPS 2017):
two VAE-GANs whose encoders and decoders share their high-level layers, so both domains map to
one latent space.

The configuration is the authors' NIPS release (mingyuliutw/UNIT, `COCOResGen` with
exps/unit/cat2tiger.yaml): ch=64; per domain a convolutional front end (conv7x7-s1 + LeakyReLU,
then two conv3x3-s2 + InstanceNorm + ReLU: 3 front layers, 2 downsamples, 256 channels at H/4) and
3 residual blocks; one *shared* residual block closing the encoders and one opening the decoders;
per domain 3 residual blocks, two transposed conv3x3-s2 (IN, ReLU) and a 1x1 transposed conv + tanh.
Convs zero-pad; InstanceNorms have no affine parameters, as in that code.

The latent is Gaussian with unit variance: training adds N(0, I) noise to the shared encoder output
(the mean), so the VAE's KL term reduces to mean(mu^2). Translation (and the registered teacher)
uses the mean: no noise in eval mode.

`unit_a2b` is the shippable translator: encoder A, the shared layers, decoder B, ~10.2M parameters
(about 44 GMAC at 256x256). `UNIT` holds both domains for training.
"""

from __future__ import annotations

import torch
from torch import nn

from stylelite.models.registry import register_teacher
from stylelite.models.taps import FeatureTapsMixin


def _in(ch: int) -> nn.InstanceNorm2d:
    return nn.InstanceNorm2d(ch, affine=False, track_running_stats=False)


class ResBlock(nn.Module):
    """conv3x3-IN-ReLU-conv3x3-IN plus the input (UNIT's INSResBlock)."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.model = nn.Sequential(
            nn.Conv2d(ch, ch, 3, padding=1), _in(ch), nn.ReLU(), nn.Conv2d(ch, ch, 3, padding=1), _in(ch)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.model(x)


class UnitEncoder(nn.Sequential):
    """Domain-specific front end: [B,3,H,W] -> [B,4ch,H/4,W/4]."""

    def __init__(self, ch: int = 64, n_res: int = 3) -> None:
        layers: list[nn.Module] = [nn.Conv2d(3, ch, 7, padding=3), nn.LeakyReLU(0.01)]
        for mult in (1, 2):
            layers += [nn.Conv2d(ch * mult, ch * mult * 2, 3, stride=2, padding=1), _in(ch * mult * 2), nn.ReLU()]
        layers += [ResBlock(ch * 4) for _ in range(n_res)]
        super().__init__(*layers)


class UnitDecoder(nn.Sequential):
    """Domain-specific back end: [B,4ch,H/4,W/4] -> [B,3,H,W] in [-1, 1]."""

    def __init__(self, ch: int = 64, n_res: int = 3) -> None:
        layers: list[nn.Module] = [ResBlock(ch * 4) for _ in range(n_res)]
        for mult in (4, 2):
            layers += [
                nn.ConvTranspose2d(ch * mult, ch * mult // 2, 3, stride=2, padding=1, output_padding=1),
                _in(ch * mult // 2),
                nn.ReLU(),
            ]
        layers += [nn.ConvTranspose2d(ch, 3, 1), nn.Tanh()]
        super().__init__(*layers)


class UNIT(nn.Module):
    """Both domains: encoders, the shared high-level layers, decoders.

    `forward(x_a, x_b)` runs the whole generator pass of one training step (so a
    DistributedDataParallel wrapper sees one call): reconstructions, translations, the cycle
    back, and the latent means that the KL terms penalise.
    """

    def __init__(self, ch: int = 64, n_res: int = 3, n_shared: int = 1) -> None:
        super().__init__()
        self.enc_a, self.enc_b = UnitEncoder(ch, n_res), UnitEncoder(ch, n_res)
        self.enc_shared = nn.Sequential(*[ResBlock(ch * 4) for _ in range(n_shared)])
        self.dec_shared = nn.Sequential(*[ResBlock(ch * 4) for _ in range(n_shared)])
        self.dec_a, self.dec_b = UnitDecoder(ch, n_res), UnitDecoder(ch, n_res)

    def encode(self, x: torch.Tensor, domain: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(mu, z): the latent mean and, in training, a sample z = mu + N(0, I)."""
        mu = self.enc_shared((self.enc_a if domain == "a" else self.enc_b)(x))
        return mu, (mu + torch.randn_like(mu) if self.training else mu)

    def decode(self, z: torch.Tensor, domain: str) -> torch.Tensor:
        return (self.dec_a if domain == "a" else self.dec_b)(self.dec_shared(z))

    def forward(self, x_a: torch.Tensor, x_b: torch.Tensor) -> dict[str, torch.Tensor]:
        mu_a, z_a = self.encode(x_a, "a")
        mu_b, z_b = self.encode(x_b, "b")
        out = {
            "mu_a": mu_a,
            "mu_b": mu_b,
            "x_aa": self.decode(z_a, "a"),  # within-domain reconstructions
            "x_bb": self.decode(z_b, "b"),
            "x_ab": self.decode(z_a, "b"),  # translations
            "x_ba": self.decode(z_b, "a"),
        }
        mu_aba, z_aba = self.encode(out["x_ab"], "b")  # back through the shared latent
        mu_bab, z_bab = self.encode(out["x_ba"], "a")
        out.update(mu_aba=mu_aba, mu_bab=mu_bab, x_aba=self.decode(z_aba, "a"), x_bab=self.decode(z_bab, "b"))
        return out


class UnitTranslator(FeatureTapsMixin, nn.Module):
    """One direction of a trained UNIT: encoder, shared layers, decoder; [-1, 1] in, tanh out."""

    def __init__(self, ch: int = 64, n_res: int = 3, n_shared: int = 1) -> None:
        super().__init__()
        self.encoder = UnitEncoder(ch, n_res)
        self.enc_shared = nn.Sequential(*[ResBlock(ch * 4) for _ in range(n_shared)])
        self.dec_shared = nn.Sequential(*[ResBlock(ch * 4) for _ in range(n_shared)])
        self.decoder = UnitDecoder(ch, n_res)
        self.feature_taps = {
            "down": f"encoder.{n_res + 7}",  # [B,4ch,H/4,W/4] last domain-specific encoder block
            "mid": f"enc_shared.{n_shared - 1}",  # the shared latent (its mean)
            "deep": f"decoder.{n_res - 1}",  # last residual block before upsampling
        }

    @classmethod
    def from_unit(cls, unit: UNIT, direction: str = "a2b") -> UnitTranslator:
        """The A->B (or B->A) translator of a trained UNIT, sharing no storage with it."""
        ch = unit.enc_a[0].out_channels
        n_res = sum(isinstance(m, ResBlock) for m in unit.enc_a)
        m = cls(ch, n_res, len(unit.enc_shared))
        src, dst = (unit.enc_a, unit.dec_b) if direction == "a2b" else (unit.enc_b, unit.dec_a)
        m.encoder.load_state_dict(src.state_dict())
        m.enc_shared.load_state_dict(unit.enc_shared.state_dict())
        m.dec_shared.load_state_dict(unit.dec_shared.state_dict())
        m.decoder.load_state_dict(dst.state_dict())
        return m

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.dec_shared(self.enc_shared(self.encoder(x))))


@register_teacher(
    family="unit",
    stride=4,
    resolution=256,
    source="trained by `stylelite train-teacher --family unit` (architecture: mingyuliutw/UNIT NIPS 2017 "
    "COCOResGen, exps/unit/cat2tiger.yaml); the released UNIT checkpoints use other layouts",
    license="stylelite code (Apache-2.0); the trained weights inherit the terms of their training images",
    extra={"direction": "a2b", "latent": "shared, unit-variance Gaussian (mean used at inference)"},
)
def unit_a2b() -> UnitTranslator:
    """UNIT translator A->B (NIPS 2017 release config: ch 64, 2 downsamples, 3+1 / 1+3 res blocks)."""
    return UnitTranslator(64, 3, 1)
