"""Johnson et al.'s fast neural style TransformerNet in the exact key layout of pytorch/examples
(`fast_neural_style/neural_style/transformer_net.py`), so its released candy / mosaic /
rain_princess / udnie `.pth` files load with strict=True.

Keys: conv1..3 and deconv1..3 each hold `conv2d` (after a reflection pad); in1..in5 are affine
InstanceNorms; res1..res5 hold conv1/in1/conv2/in2. The released files also carry InstanceNorm
`running_mean`/`running_var` from an old PyTorch; upstream deletes them before loading, and
stylelite.models.checkpoints.drop_stale_norm_stats does the same (our norms track no running stats).

Pixels are in [0, 255] in and out; upstream does not clamp the output (the runtime clips it).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from stylelite.models.registry import register_teacher
from stylelite.models.taps import FeatureTapsMixin


def _instance_norm(ch: int) -> nn.InstanceNorm2d:
    return nn.InstanceNorm2d(ch, affine=True, track_running_stats=False)


class ConvLayer(nn.Module):
    """Reflection pad (k // 2) then conv."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, stride: int = 1) -> None:
        super().__init__()
        self.reflection_pad = nn.ReflectionPad2d(kernel_size // 2)
        self.conv2d = nn.Conv2d(in_ch, out_ch, kernel_size, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2d(self.reflection_pad(x))


class UpsampleConvLayer(ConvLayer):
    """Nearest-neighbour upsampling then a ConvLayer (no checkerboard artefacts, unlike a deconv)."""

    def __init__(self, in_ch: int, out_ch: int, kernel_size: int, upsample: int = 2) -> None:
        super().__init__(in_ch, out_ch, kernel_size, stride=1)
        self.upsample = upsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.interpolate(x, scale_factor=self.upsample, mode="nearest"))


class ResidualBlock(nn.Module):
    """conv-IN-ReLU-conv-IN plus the input."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv1 = ConvLayer(ch, ch, 3)
        self.in1 = _instance_norm(ch)
        self.conv2 = ConvLayer(ch, ch, 3)
        self.in2 = _instance_norm(ch)
        self.relu = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.in2(self.conv2(self.relu(self.in1(self.conv1(x)))))


class TransformerNet(FeatureTapsMixin, nn.Module):
    """c9s1-32, d64, d128, 5 x R128, u64, u32, c9s1-3; inputs and outputs in [0, 255]."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = ConvLayer(3, 32, 9)
        self.in1 = _instance_norm(32)
        self.conv2 = ConvLayer(32, 64, 3, stride=2)
        self.in2 = _instance_norm(64)
        self.conv3 = ConvLayer(64, 128, 3, stride=2)
        self.in3 = _instance_norm(128)
        self.res1 = ResidualBlock(128)
        self.res2 = ResidualBlock(128)
        self.res3 = ResidualBlock(128)
        self.res4 = ResidualBlock(128)
        self.res5 = ResidualBlock(128)
        self.deconv1 = UpsampleConvLayer(128, 64, 3)
        self.in4 = _instance_norm(64)
        self.deconv2 = UpsampleConvLayer(64, 32, 3)
        self.in5 = _instance_norm(32)
        self.deconv3 = ConvLayer(32, 3, 9)
        self.relu = nn.ReLU()
        self.feature_taps = {
            "down": "in3",  # [B,128,H/4,W/4] encoder (before its ReLU)
            "mid": "res3",
            "deep": "res5",  # last residual block
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.relu(self.in1(self.conv1(x)))
        y = self.relu(self.in2(self.conv2(y)))
        y = self.relu(self.in3(self.conv3(y)))
        y = self.res5(self.res4(self.res3(self.res2(self.res1(y)))))
        y = self.relu(self.in4(self.deconv1(y)))
        y = self.relu(self.in5(self.deconv2(y)))
        return self.deconv3(y)


@register_teacher(
    family="fast_neural_style",
    input_range=(0.0, 255.0),
    output_range=(0.0, 255.0),
    stride=4,
    resolution=256,
    source="pytorch/examples fast_neural_style: saved_models.zip (download_saved_models.py) with "
    "candy.pth, mosaic.pth, rain_princess.pth, udnie.pth",
    license="BSD-3-Clause (pytorch/examples); the released .pth files state no terms of their own: "
    "check the weights' terms (and the style paintings') before commercial use",
)
def fast_neural_style() -> TransformerNet:
    """Fast neural style TransformerNet (pytorch/examples): one network per style, ~1.7M params."""
    return TransformerNet()
