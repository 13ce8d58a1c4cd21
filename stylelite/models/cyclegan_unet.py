"""pix2pix/CycleGAN U-Net generator in the exact key layout of the public
pytorch-CycleGAN-and-pix2pix code (--netG unet_256 / unet_128), so its released checkpoints
(e.g. the pix2pix facades_label2photo.pth) load with strict=True.

The U-Net is built recursively: each skip block holds the next one as `model.<i>`, so keys nest as
`model.model.0.weight` (outermost down conv), `model.model.1.model.1.weight` (next down conv),
`model.model.1.model.3.model.1.weight`, ... Per block (upstream order, indices are key names):

    outermost: 0 down conv, 1 inner block, 2 ReLU, 3 up conv (always with bias), 4 tanh
    middle:    0 LeakyReLU, 1 down conv, 2 norm, 3 inner block, 4 ReLU, 5 up conv, 6 norm[, 7 dropout]
    innermost: 0 LeakyReLU, 1 down conv, 2 ReLU, 3 up conv, 4 norm

Convs carry a bias only with --norm instance (and the outermost up conv always). Upstream's
LeakyReLU is in-place, so the skip connection carries LeakyReLU(x), not x; we reproduce that
explicitly (without in-place ops, which the ONNX tracer mishandles).
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import nn

from stylelite.models.cyclegan_resnet import NORMS
from stylelite.models.registry import ModelCard, register_teacher
from stylelite.models.taps import FeatureTapsMixin


class UnetSkipBlock(nn.Module):
    """down conv -> inner block -> up conv, concatenated with the (LeakyReLU'd) input."""

    def __init__(
        self,
        outer_ch: int,
        inner_ch: int,
        in_ch: int | None = None,
        inner: nn.Module | None = None,
        outermost: bool = False,
        innermost: bool = False,
        norm: str = "batch",
        use_dropout: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        norm_layer, bias = NORMS[norm], norm == "instance"
        down = nn.Conv2d(in_ch or outer_ch, inner_ch, 4, stride=2, padding=1, bias=bias)
        if outermost:
            up = nn.ConvTranspose2d(inner_ch * 2, outer_ch, 4, stride=2, padding=1)  # bias regardless of norm
            layers: list[nn.Module] = [down, inner, nn.ReLU(), up, nn.Tanh()]
        elif innermost:
            up = nn.ConvTranspose2d(inner_ch, outer_ch, 4, stride=2, padding=1, bias=bias)
            layers = [nn.LeakyReLU(0.2), down, nn.ReLU(), up, norm_layer(outer_ch)]
        else:
            up = nn.ConvTranspose2d(inner_ch * 2, outer_ch, 4, stride=2, padding=1, bias=bias)
            layers = [nn.LeakyReLU(0.2), down, norm_layer(inner_ch), inner, nn.ReLU(), up, norm_layer(outer_ch)]
            if use_dropout:
                layers.append(nn.Dropout(0.5))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.outermost:
            return self.model(x)
        skip = self.model[0](x)  # what upstream's in-place LeakyReLU leaves in x
        return torch.cat([skip, self.model[1:](skip)], 1)  # [B,outer+outer,H,W]


class UnetGenerator(FeatureTapsMixin, nn.Module):
    """U-Net with `num_downs` stride-2 levels (unet_256: 8, unet_128: 7); inputs in [-1, 1], tanh output.

    H and W must be multiples of 2**num_downs (the bottleneck is 1x1 at 256x256 for unet_256).
    """

    def __init__(self, num_downs: int = 8, ngf: int = 64, norm: str = "batch", use_dropout: bool = False) -> None:
        super().__init__()
        if num_downs < 5:
            raise ValueError(f"num_downs must be at least 5 (upstream's smallest U-Net), got {num_downs}")
        block = UnetSkipBlock(ngf * 8, ngf * 8, innermost=True, norm=norm)
        for _ in range(num_downs - 5):
            block = UnetSkipBlock(ngf * 8, ngf * 8, inner=block, norm=norm, use_dropout=use_dropout)
        block = UnetSkipBlock(ngf * 4, ngf * 8, inner=block, norm=norm)
        block = UnetSkipBlock(ngf * 2, ngf * 4, inner=block, norm=norm)
        block = UnetSkipBlock(ngf, ngf * 2, inner=block, norm=norm)
        self.model = UnetSkipBlock(3, ngf, in_ch=3, inner=block, outermost=True, norm=norm)
        self.num_downs = num_downs

        def level(k: int) -> str:  # path of the k-th block below the outermost one (k >= 1)
            return "model.model.1" + ".model.3" * (k - 1)

        self.feature_taps = {
            "down": f"{level(1)}.model.2",  # [B,2ngf,H/4,W/4] encoder norm
            "mid": f"{level(3)}.model.2",  # [B,8ngf,H/16,W/16] encoder norm
            "deep": f"{level(2)}.model.6",  # [B,2ngf,H/4,W/4] decoder norm, before the skip concat
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def _card(num_downs: int, norm: str, use_dropout: bool) -> dict:
    """The card fields of a U-Net generator with these options (its name is the registered function's)."""
    size = 2**num_downs
    return dict(
        family="cyclegan_unet",
        stride=size,
        resolution=size,
        source=f"pytorch-CycleGAN-and-pix2pix (junyanz), --netG unet_{size} --norm {norm}"
        + ("" if use_dropout else " --no_dropout")
        + (
            ": the pix2pix releases of scripts/download_pix2pix_model.sh (facades_label2photo, ...) and "
            "latest_net_G.pth of a pix2pix run"
            if norm == "batch"
            else ": latest_net_G.pth of a CycleGAN run with --netG unet_256 (no released file uses it)"
        ),
        license="BSD (code); check each released checkpoint's dataset terms",
        extra={
            "num_downs": num_downs,
            "norm": norm,
            # Upstream test.py runs pix2pix in train mode unless --eval (batch-norm statistics of the
            # input itself, dropout on); stylelite runs eval mode, i.e. upstream with --eval.
            "mode": "eval (upstream test.py --eval)",
        },
    )


def _variant(declared: ModelCard, num_downs: int, norm: str, use_dropout: bool) -> UnetGenerator:
    """A generator with these options, carrying the card declared at registration (the default options')
    refined to them (dropout changes its source)."""
    m = UnetGenerator(num_downs, 64, norm, use_dropout)
    m.card = replace(declared, **_card(num_downs, norm, use_dropout))
    return m


@register_teacher(**_card(8, "batch", True))
def pix2pix_unet256(use_dropout: bool = True) -> UnetGenerator:
    """pix2pix U-Net-256 (8 levels, ngf=64, --norm batch): the pix2pix default generator."""
    return _variant(pix2pix_unet256.card, 8, "batch", use_dropout)


@register_teacher(**_card(7, "batch", True))
def pix2pix_unet128(use_dropout: bool = True) -> UnetGenerator:
    """pix2pix U-Net-128 (7 levels, ngf=64, --norm batch)."""
    return _variant(pix2pix_unet128.card, 7, "batch", use_dropout)


@register_teacher(**_card(8, "instance", False))
def cyclegan_unet256(use_dropout: bool = False) -> UnetGenerator:
    """CycleGAN with --netG unet_256 --norm instance (convs with bias, no norm parameters)."""
    return _variant(cyclegan_unet256.card, 8, "instance", use_dropout)
