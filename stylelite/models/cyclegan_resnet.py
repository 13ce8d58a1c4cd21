"""CycleGAN/pix2pix ResNet generator in the exact key layout of the public
pytorch-CycleGAN-and-pix2pix code, so its released checkpoints load with strict=True.

Layout (resnet_9blocks): model.0 pad, model.1 conv7x7, model.4/.7 stride-2 convs,
model.10..18 ResnetBlock(conv_block.1/.5), model.19/.22 transposed convs, model.26 conv7x7.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace

import torch
from torch import nn

from stylelite.models.registry import ModelCard, register_teacher
from stylelite.models.taps import FeatureTapsMixin

# The official --norm options: "instance" (CycleGAN's default: no affine, no running stats, convs
# with bias) and "batch" (pix2pix's default: BatchNorm, convs without bias). InstanceNorm removes
# every per-channel offset after the first conv, so an instance-norm generator cannot see the
# input's absolute colour; a batch-norm one can (in eval mode it is a plain affine map).
NORMS = {
    "instance": functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False),
    "instance_affine": functools.partial(nn.InstanceNorm2d, affine=True, track_running_stats=False),  # forks
    "batch": nn.BatchNorm2d,
}


class ResnetBlock(nn.Module):
    def __init__(self, dim: int, use_dropout: bool = False, norm: str = "instance") -> None:
        super().__init__()
        norm_layer, bias = NORMS[norm], norm != "batch"
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, 3, bias=bias),
            norm_layer(dim),
            nn.ReLU(True),
        ]
        if use_dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(dim, dim, 3, bias=bias), norm_layer(dim)]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv_block(x)


class ResnetGenerator(FeatureTapsMixin, nn.Module):
    """c7s1-64, d128, d256, n x R256, u128, u64, c7s1-3, tanh; inputs in [-1, 1]."""

    def __init__(self, n_blocks: int = 9, ngf: int = 64, use_dropout: bool = False, norm: str = "instance") -> None:
        super().__init__()
        norm_layer, bias = NORMS[norm], norm != "batch"
        model: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(3, ngf, 7, bias=bias),
            norm_layer(ngf),
            nn.ReLU(True),
        ]
        for i in range(2):
            mult = 2**i
            model += [
                nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=bias),
                norm_layer(ngf * mult * 2),
                nn.ReLU(True),
            ]
        for _ in range(n_blocks):
            model.append(ResnetBlock(ngf * 4, use_dropout, norm))
        for i in range(2):
            mult = 2 ** (2 - i)
            model += [
                nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1, bias=bias),
                norm_layer(ngf * mult // 2),
                nn.ReLU(True),
            ]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, 3, 7), nn.Tanh()]
        self.model = nn.Sequential(*model)
        first_block = 10
        self.feature_taps = {
            "down": "model.9",  # [B,4ngf,H/4,W/4] after the encoder
            "mid": f"model.{first_block + n_blocks // 2}",
            "deep": f"model.{first_block + n_blocks - 1}",  # last residual block
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


def _card(n_blocks: int, norm: str = "instance", use_dropout: bool = False) -> dict:
    """The card fields of a ResNet generator with these options (its name is the registered function's)."""
    files = {
        "instance": "CycleGAN's released generators (horse2zebra.pth, monet2photo.pth, ...) and latest_net_G.pth "
        "of a CycleGAN run",
        "instance_affine": "a fork's generator with affine InstanceNorm (weight and bias per norm)",
        "batch": "latest_net_G.pth of a pix2pix/CycleGAN run with --netG resnet_9blocks --norm batch",
    }[norm]
    flags = f"--netG resnet_{n_blocks}blocks --norm {'instance' if norm.startswith('instance') else norm}"
    flags += "" if use_dropout else " --no_dropout"
    return dict(
        family="cyclegan_resnet",
        stride=4,
        resolution=256,
        source=f"pytorch-CycleGAN-and-pix2pix (junyanz), {flags}: {files}",
        license="BSD (code); check each released checkpoint's dataset terms",
        extra={k: v for k, v in (("dropout", use_dropout), ("norm", norm)) if v and v != "instance"},
    )


def resnet_variant(state: dict) -> dict:
    """Builder options read off a checkpoint's keys: dropout (a ResnetBlock's second conv, a 4-D weight, at
    index 6 rather than 5, whatever the block container is called) and affine InstanceNorm (norm weights
    without running stats)."""
    dropout = any(re.fullmatch(r"model\.\d+\.\w+\.6\.weight", k) and v.ndim == 4 for k, v in state.items())
    affine = "model.2.weight" in state and "model.2.running_mean" not in state
    return {"use_dropout": dropout, "affine": affine}


def _variant(declared: ModelCard, n_blocks: int, norm: str, use_dropout: bool) -> ResnetGenerator:
    """A generator with these options, carrying the card declared at registration (the default options')
    refined to them (a checkpoint's dropout or affine norm changes its source and extra)."""
    m = ResnetGenerator(n_blocks, 64, use_dropout, norm)
    m.card = replace(declared, **_card(n_blocks, norm, use_dropout))
    return m


@register_teacher(**_card(9))
def cyclegan_r9(use_dropout: bool = False, affine: bool = False) -> ResnetGenerator:
    """CycleGAN ResNet-9 generator (ngf=64), the 256x256 CycleGAN default; dropout and affine
    InstanceNorm variants are read off the checkpoint."""
    return _variant(cyclegan_r9.card, 9, "instance_affine" if affine else "instance", use_dropout)


@register_teacher(**_card(6))
def cyclegan_r6(use_dropout: bool = False, affine: bool = False) -> ResnetGenerator:
    """CycleGAN ResNet-6 generator (ngf=64), the 128x128 CycleGAN default."""
    return _variant(cyclegan_r6.card, 6, "instance_affine" if affine else "instance", use_dropout)


@register_teacher(**_card(9, "batch"))
def cyclegan_r9_bn(use_dropout: bool = False) -> ResnetGenerator:
    """ResNet-9 generator with --norm batch (pix2pix's default norm): sees absolute colour."""
    return _variant(cyclegan_r9_bn.card, 9, "batch", use_dropout)


cyclegan_r9.variant_of = cyclegan_r6.variant_of = resnet_variant
cyclegan_r9_bn.variant_of = lambda state: {"use_dropout": resnet_variant(state)["use_dropout"]}
