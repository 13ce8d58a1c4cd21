"""AnimeGANv2 generator in the exact key layout of the PyTorch port bryandlee/animegan2-pytorch
(`model.py`), so its face_paint_512_v1/v2, paprika and celeba_distill `.pt` files load with strict=True.

Layout: block_a..block_e are Sequentials of ConvNormLReLU (0 pad, 1 conv, 2 GroupNorm(1, ch),
3 LeakyReLU 0.2) and, in block_c, InvertedResBlock (`layers`: [expand ConvNormLReLU,] depthwise
ConvNormLReLU with conv bias, 1x1 conv, GroupNorm); out_layer is 0 conv1x1, 1 tanh. Convs have no
bias except the depthwise ones. Decoding upsamples bilinearly (align_corners=True) back to the
sizes seen on the way down, as the port's `Generator.forward` default does. The port's `test.py`
defaults to `--upsample_align False`: x2 bilinear upsampling with align_corners=False, a sub-pixel
shift of both upsampled feature maps; that path is the `animegan2_align_false` teacher (the same
weights, loaded the same way).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from stylelite.models.registry import register_teacher
from stylelite.models.taps import FeatureTapsMixin


class ConvNormLReLU(nn.Sequential):
    """Reflection pad, conv, GroupNorm(1, out_ch), LeakyReLU(0.2)."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel_size: int = 3,
        stride: int = 1,
        padding: int | tuple[int, int, int, int] = 1,
        groups: int = 1,
        bias: bool = False,
    ) -> None:
        super().__init__(
            nn.ReflectionPad2d(padding),
            nn.Conv2d(in_ch, out_ch, kernel_size, stride=stride, padding=0, groups=groups, bias=bias),
            nn.GroupNorm(1, out_ch, affine=True),
            nn.LeakyReLU(0.2),
        )


class InvertedResBlock(nn.Module):
    """MobileNetV2-style: 1x1 expand, depthwise 3x3, linear 1x1 project; residual when in == out."""

    def __init__(self, in_ch: int, out_ch: int, expansion_ratio: float = 2) -> None:
        super().__init__()
        self.use_res_connect = in_ch == out_ch
        mid = int(round(in_ch * expansion_ratio))
        layers: list[nn.Module] = []
        if expansion_ratio != 1:
            layers.append(ConvNormLReLU(in_ch, mid, kernel_size=1, padding=0))
        layers += [
            ConvNormLReLU(mid, mid, groups=mid, bias=True),  # depthwise
            nn.Conv2d(mid, out_ch, 1, bias=False),
            nn.GroupNorm(1, out_ch, affine=True),
        ]
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.layers(x)
        return x + out if self.use_res_connect else out


class AnimeGANv2Generator(FeatureTapsMixin, nn.Module):
    """Encoder to H/4, 4 inverted residual blocks, bilinear decoder; inputs in [-1, 1], tanh output."""

    def __init__(self, align_corners: bool = True) -> None:
        super().__init__()
        self.align_corners = align_corners
        # Stride-2 convs pad right/bottom only (TensorFlow "SAME" for even sizes).
        self.block_a = nn.Sequential(
            ConvNormLReLU(3, 32, kernel_size=7, padding=3),
            ConvNormLReLU(32, 64, stride=2, padding=(0, 1, 0, 1)),
            ConvNormLReLU(64, 64),
        )
        self.block_b = nn.Sequential(
            ConvNormLReLU(64, 128, stride=2, padding=(0, 1, 0, 1)),
            ConvNormLReLU(128, 128),
        )
        self.block_c = nn.Sequential(
            ConvNormLReLU(128, 128),
            InvertedResBlock(128, 256, 2),
            InvertedResBlock(256, 256, 2),
            InvertedResBlock(256, 256, 2),
            InvertedResBlock(256, 256, 2),
            ConvNormLReLU(256, 128),
        )
        self.block_d = nn.Sequential(ConvNormLReLU(128, 128), ConvNormLReLU(128, 128))
        self.block_e = nn.Sequential(
            ConvNormLReLU(128, 64),
            ConvNormLReLU(64, 64),
            ConvNormLReLU(64, 32, kernel_size=7, padding=3),
        )
        self.out_layer = nn.Sequential(nn.Conv2d(32, 3, 1, bias=False), nn.Tanh())
        self.feature_taps = {
            "down": "block_b",  # [B,128,H/4,W/4] encoder
            "mid": "block_c.2",  # [B,256,H/4,W/4] second inverted residual block
            "deep": "block_c",  # [B,128,H/4,W/4] before the decoder
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        half = self.block_a(x)  # [B,64,H/2,W/2]
        out = self.block_c(self.block_b(half))  # [B,128,H/4,W/4]
        out = self.block_d(self._upsample(out, half))
        return self.out_layer(self.block_e(self._upsample(out, x)))

    def _upsample(self, out: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        if self.align_corners:  # back to the size seen on the way down
            return F.interpolate(out, size=like.shape[-2:], mode="bilinear", align_corners=True)
        return F.interpolate(out, scale_factor=2, mode="bilinear", align_corners=False)


def _card(align_corners: bool) -> dict:
    """The card fields of an AnimeGANv2 generator (its name is the registered function's)."""
    return dict(
        family="animegan2",
        stride=4,
        resolution=256,  # AnimeGANv2's training crops; face_paint_512_* were trained on 512x512 faces
        source="bryandlee/animegan2-pytorch weights/: face_paint_512_v2.pt, face_paint_512_v1.pt, "
        "paprika.pt, celeba_distill.pt (also on the PyTorch hub: bryandlee/animegan2-pytorch:main)",
        license="MIT (animegan2-pytorch code); the weights derive from AnimeGANv2 (TachibanaYoshino), whose "
        "terms allow non-commercial use only; check the weights' terms before commercial use",
        extra={"upsampling": "bilinear, align_corners=True (Generator.forward's default)"}
        if align_corners
        else {"upsampling": "bilinear x2, align_corners=False (test.py --upsample_align False)"},
    )


@register_teacher(**_card(align_corners=True))
def animegan2() -> AnimeGANv2Generator:
    """AnimeGANv2 generator (bryandlee/animegan2-pytorch port), ~2.1M params."""
    return AnimeGANv2Generator(align_corners=True)


@register_teacher(**_card(align_corners=False))
def animegan2_align_false() -> AnimeGANv2Generator:
    """AnimeGANv2 as the port's test.py runs it by default (--upsample_align False); same weights."""
    return AnimeGANv2Generator(align_corners=False)
