"""A style-conditioned NormGen: one student for every style of a conditional-instance-norm teacher.

Dumoulin et al.'s multi-style network (Magenta's 26 styles) is one network whose instance norms take a
scale and shift per style; a blend of styles is the same weighted blend of those scales and shifts. This
student is built the same way: NormGen (models/normgen.py) with every instance norm's affine replaced by
per-style tables (a Linear from the style weights), so a blend costs what one style costs and the
student renders blends the way its teacher does. Strength blends the drawn output with the input, as
the graph-teacher path does for a teacher without a strength input:
`strength * draw(x) + (1 - strength) * x`.

Styles, controls and export are those of every style-conditioned student (`style_names` buffer,
`card.styles`, `forward_styled`, `conditioned(...)`; models/mobilegen_styled.py): the artifact takes
`style_weights` [1, slots] and `strength` [1]. Ops: Conv, InstanceNormalization, Gemm, Mul, Add, Sub, Relu,
DepthToSpace, Tanh.
"""

from __future__ import annotations

import torch
from torch import nn

from stylelite.models.mobilegen_styled import StyleSlots, tile
from stylelite.models.normgen import STRIDE
from stylelite.models.registry import ModelCard, register_student
from stylelite.models.shufflegen import channels_for_width
from stylelite.models.taps import FeatureTapsMixin
from stylelite.models.tensors import pad_to_multiple

SLOTS = 32  # styles one network holds (Magenta's 26 fit)


class CondNorm(nn.Module):
    """Instance norm with a scale and a shift per style, blended by the style weights [B, slots]."""

    def __init__(self, ch: int, slots: int) -> None:
        super().__init__()
        self.norm = nn.InstanceNorm2d(ch, affine=False)
        # style i's scale is scale.bias + scale.weight[:, i] (a Gemm on export); weights summing to 1 blend them
        self.scale, self.shift = nn.Linear(slots, ch), nn.Linear(slots, ch)
        for table, base in ((self.scale, 1.0), (self.shift, 0.0)):
            nn.init.zeros_(table.weight)
            nn.init.constant_(table.bias, base)

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return self.norm(x) * self.scale(weights)[:, :, None, None] + self.shift(weights)[:, :, None, None]


class CondPair(nn.Module):
    """conv-CIN-ReLU-conv-CIN, added to the input."""

    def __init__(self, ch: int, slots: int) -> None:
        super().__init__()
        self.conv1, self.norm1 = nn.Conv2d(ch, ch, 3, padding=1), CondNorm(ch, slots)
        self.conv2, self.norm2 = nn.Conv2d(ch, ch, 3, padding=1), CondNorm(ch, slots)

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return x + self.norm2(self.conv2(torch.relu(self.norm1(self.conv1(x), weights))), weights)


class StyledNormGen(StyleSlots, FeatureTapsMixin, nn.Module):
    """NormGen with conditional instance norm; RGB in [-1, 1] in and out; stride 4."""

    stride = STRIDE

    def __init__(self, channels: int = 32, n_blocks: int = 4, slots: int = SLOTS, name: str = "") -> None:
        super().__init__()
        self.name, self.channels, self.n_blocks = name, channels, n_blocks
        self.stem = nn.Conv2d(3, channels, STRIDE, stride=STRIDE)
        self.stem_norm = CondNorm(channels, slots)
        self.blocks = nn.ModuleList([CondPair(channels, slots) for _ in range(n_blocks)])
        self.head = nn.Conv2d(channels, 3 * STRIDE * STRIDE, 3, padding=1)
        self.shuffle = nn.PixelShuffle(STRIDE)
        self.init_style_slots(slots)
        self.feature_taps = {"down": "stem_norm", "mid": f"blocks.{max(n_blocks // 2 - 1, 0)}",
                             "deep": f"blocks.{n_blocks - 1}"}  # fmt: skip

    @property
    def card(self) -> ModelCard:
        return self.styled_card(
            name=self.name,
            family="normgen_styled",
            stride=STRIDE,
            resolution=256,
            extra={"channels": self.channels, "blocks": self.n_blocks, "norm": "conditional instance"},
        )

    def forward_styled_core(self, x: torch.Tensor, style_weights: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        """The exported graph: H and W multiples of 4 (at least 8); one condition per image."""
        n = style_weights.shape[1]
        if n > self.slots:
            raise ValueError(f"{n} style weights for a network with {self.slots} style slots")
        w = style_weights / style_weights.sum(1, keepdim=True).clamp_min(1e-8)
        w = nn.functional.pad(w, (0, self.slots - n))
        h = torch.relu(self.stem_norm(self.stem(x), w))
        for block in self.blocks:
            h = block(h, w)
        drawn = torch.tanh(self.shuffle(self.head(h)))
        s = strength.reshape(-1, 1, 1, 1).to(x.dtype)
        return x + s * (drawn - x)

    def forward_styled(self, x: torch.Tensor, style_weights: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        """x [B,3,H,W] in [-1, 1] (any H, W: padded to 8 px and to the stride, cropped back)."""
        h, w = x.shape[-2:]
        if h < 2 * STRIDE or w < 2 * STRIDE:
            x = nn.functional.pad(x, (0, max(0, 2 * STRIDE - w), 0, max(0, 2 * STRIDE - h)), mode="replicate")
        if x.shape[-2] % STRIDE or x.shape[-1] % STRIDE:
            x, _, _ = pad_to_multiple(x, STRIDE)
        y = self.forward_styled_core(x, style_weights, strength)
        return y[..., :h, :w] if x.shape[-2:] != (h, w) else y

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The condition set with `conditioned(...)`, else the first style at full strength."""
        ones = torch.ones(x.shape[0], device=x.device, dtype=x.dtype)
        if self._condition is None:
            return self.forward_styled(x, ones[:, None], ones)
        weights, strength = self._condition
        return self.forward_styled(x, tile(weights, len(x)).to(x.dtype), tile(strength, len(x)).to(x.dtype))


@register_student
def normgen_styled_t_050() -> StyledNormGen:
    """normgen_t_050 with a scale and shift per style in every instance norm (32 style slots): the student
    of a conditional-instance-norm teacher (Magenta's 26 styles) that renders every style and blend."""
    return StyledNormGen(channels_for_width(0.5), 4, name="normgen_styled_t_050")
