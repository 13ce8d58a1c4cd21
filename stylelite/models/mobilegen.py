"""MobileGen: the MobileNet-style student generators.

Strided conv stem, a depthwise-separable downsample, inverted-residual blocks at 1/4
resolution, and resize-then-conv upsampling (no transposed convs, so no checkerboard).
Only Conv, depthwise Conv, BatchNorm (folded at export), ReLU6, Resize, Add and Tanh,
all of which ONNX Runtime, TFLite and their mobile delegates run natively.

Name scheme: mobilegen_s_050 = family "mobilegen", size "s", width x100.
"""

from __future__ import annotations

import torch
from torch import nn

from stylelite.models.registry import register_student
from stylelite.models.taps import FeatureTapsMixin
from stylelite.models.tensors import pad_to_multiple


def _ch(base: int, width: float) -> int:
    return max(8, int(round(base * width / 8)) * 8)


def conv_bn_act(cin: int, cout: int, k: int = 3, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [
        nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
    ]
    if act:
        # Not in-place: the TorchScript exporter mistraces an in-place op whose input feeds a skip.
        layers.append(nn.ReLU6())
    return nn.Sequential(*layers)


def separable(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    """Depthwise 3x3 then pointwise 1x1 (MobileNetV1)."""
    return nn.Sequential(conv_bn_act(cin, cin, 3, stride, groups=cin), conv_bn_act(cin, cout, 1))


class InvertedResidual(nn.Module):
    """MobileNetV2 block: expand 1x1, depthwise 3x3, linear project 1x1, residual add."""

    def __init__(self, ch: int, expand: int) -> None:
        super().__init__()
        hidden = ch * expand
        self.block = nn.Sequential(
            conv_bn_act(ch, hidden, 1),
            conv_bn_act(hidden, hidden, 3, groups=hidden),
            conv_bn_act(hidden, ch, 1, act=False),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


class UpBlock(nn.Module):
    """Bilinear x2 resize, then a separable conv."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.resize = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False)
        self.conv = separable(cin, cout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(self.resize(x))


class MobileGen(FeatureTapsMixin, nn.Module):
    """Image-to-image student; inputs and outputs RGB in [-1, 1]; stride 4."""

    stride = 4

    def __init__(self, width: float = 0.5, n_blocks: int = 6, expand: int = 4) -> None:
        super().__init__()
        c_half, c_quarter, c_full = _ch(32, width), _ch(64, width), _ch(16, width)
        self.stem = conv_bn_act(3, c_half, 3, stride=2)  # [B,c_half,H/2,W/2]
        self.down = separable(c_half, c_quarter, stride=2)  # [B,c_quarter,H/4,W/4]
        self.blocks = nn.Sequential(*[InvertedResidual(c_quarter, expand) for _ in range(n_blocks)])
        self.up1 = UpBlock(c_quarter, c_half)  # [B,c_half,H/2,W/2], + stem skip
        self.up2 = UpBlock(c_half, c_full)  # [B,c_full,H,W]
        self.head = nn.Conv2d(c_full, 3, 3, padding=1)
        self.feature_taps = {
            "down": "down",
            "mid": f"blocks.{n_blocks // 2 - 1}",
            "deep": f"blocks.{n_blocks - 1}",
        }

    def forward_core(self, x: torch.Tensor) -> torch.Tensor:
        """The exported graph: H and W must be multiples of 4."""
        skip = self.stem(x)
        y = self.blocks(self.down(skip))
        y = self.up1(y) + skip
        return torch.tanh(self.head(self.up2(y)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.at_stride(self.forward_core, x)

    def at_stride(self, core, x: torch.Tensor) -> torch.Tensor:
        """`core` at any H x W: reflect-pad to the stride, run, crop back."""
        if x.shape[-2] % self.stride or x.shape[-1] % self.stride:
            xp, h, w = pad_to_multiple(x, self.stride)
            return core(xp)[..., :h, :w]
        return core(x)


def _card(width: float) -> dict:
    """The card of a MobileGen of `width` (its name is the registered function's)."""
    return dict(
        family="mobilegen",
        stride=4,
        resolution=256,
        source="stylelite (distilled)",
        license="same as the teacher it was distilled from",
        extra={"width": width},
    )


@register_student(**_card(0.25))
def mobilegen_s_025() -> MobileGen:
    """Width 0.25: the CPU/phone-first student."""
    return MobileGen(0.25)


@register_student(**_card(0.5))
def mobilegen_s_050() -> MobileGen:
    """Width 0.5: the balanced student."""
    return MobileGen(0.5)


@register_student(**_card(1.0))
def mobilegen_s_100() -> MobileGen:
    """Width 1.0: the quality student."""
    return MobileGen(1.0)
