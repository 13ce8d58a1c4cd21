"""A multi-style generator: one network, several styles, blends and a strength dial.

The network is Johnson et al.'s TransformerNet (c9s1-32, d64, d128, 5 x R128, u64, u32, c9s1-3)
with the style-dependent normalization of Dumoulin et al. ("A Learned Representation for Artistic
Style", ICLR 2017): the encoder uses ordinary affine InstanceNorms, and every normalization of the
residual blocks and the decoder is AdaIN, whose scale and shift come from a style code.

Style codes: one learned embedding per style slot plus one *identity* code, trained to reproduce
the input (`--family multistyle` trains it with a pixel + content loss). The code of a request is

    code = (1 - strength) * identity + strength * sum_i w_i * style_i,   w normalised to sum 1,

and every AdaIN maps the code to (scale, shift) with a linear layer, so interpolating codes is
exactly Dumoulin et al.'s convex combination of the normalization parameters. Hence:
  - weights (1, 0, ...) at strength 1 render style 0, bit for bit;
  - strength 0 renders the identity code (the "content path"): an approximate reconstruction of
    the input after training, not a copy of it (blending the output with the input would be
    exact but would fade the picture rather than the style);
  - strength in (0, 1) and mixed weights interpolate in normalization space (Ghiasi et al. 2017
    dial strength the same way, towards the content image's own style code).

Style names travel with the weights in the `style_names` buffer (UTF-8, one row per slot), so a
trained file knows its styles; `card.styles` lists them. `forward(x)` renders
`default_style` at full strength, so distillation and export see an ordinary image-to-image model;
`forward_styled` is the full interface. Inputs and outputs are RGB in [-1, 1] (tanh).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from stylelite.models.registry import ModelCard, register_teacher
from stylelite.models.taps import FeatureTapsMixin

STYLE_SLOTS = 8  # styles one registered `multistyle` network can hold
NAME_BYTES = 32
CODE_DIM = 64


class AdaIN(nn.Module):
    """Instance-normalise, then scale and shift by a linear map of the style code."""

    def __init__(self, ch: int, code_dim: int = CODE_DIM) -> None:
        super().__init__()
        self.affine = nn.Linear(code_dim, 2 * ch)
        nn.init.zeros_(self.affine.weight)  # starts as a plain (scale 1, shift 0) InstanceNorm
        with torch.no_grad():
            self.affine.bias.copy_(torch.cat([torch.ones(ch), torch.zeros(ch)]))

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        scale, shift = self.affine(code).chunk(2, dim=1)  # [B,C] each
        return F.instance_norm(x) * scale[:, :, None, None] + shift[:, :, None, None]


class ConvLayer(nn.Module):
    """Reflection pad (k // 2), conv; `upsample` first resizes by nearest neighbour (as TransformerNet)."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, upsample: int = 1) -> None:
        super().__init__()
        self.upsample = upsample
        self.pad = nn.ReflectionPad2d(k // 2)
        self.conv = nn.Conv2d(cin, cout, k, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample > 1:
            x = F.interpolate(x, scale_factor=self.upsample, mode="nearest")
        return self.conv(self.pad(x))


class StyledConv(nn.Module):
    """ConvLayer -> AdaIN -> ReLU."""

    def __init__(self, cin: int, cout: int, k: int, upsample: int = 1) -> None:
        super().__init__()
        self.conv = ConvLayer(cin, cout, k, upsample=upsample)
        self.norm = AdaIN(cout)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        return F.relu(self.norm(self.conv(x), code))


class StyledResBlock(nn.Module):
    """conv-AdaIN-ReLU-conv-AdaIN plus the input."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.conv1, self.norm1 = ConvLayer(ch, ch, 3), AdaIN(ch)
        self.conv2, self.norm2 = ConvLayer(ch, ch, 3), AdaIN(ch)

    def forward(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.norm1(self.conv1(x), code))
        return x + self.norm2(self.conv2(y), code)


def encode_names(names: list[str], slots: int = STYLE_SLOTS) -> torch.Tensor:
    """Style names -> uint8 [slots, NAME_BYTES] (zero rows for unused slots)."""
    if len(names) > slots:
        raise ValueError(f"{len(names)} styles do not fit {slots} slots")
    out = torch.zeros(slots, NAME_BYTES, dtype=torch.uint8)
    for i, name in enumerate(names):
        raw = name.encode("utf-8")
        if not raw or len(raw) > NAME_BYTES or b"\0" in raw:
            raise ValueError(f"style name {name!r}: use 1 to {NAME_BYTES} bytes, no NUL")
        out[i, : len(raw)] = torch.frombuffer(bytearray(raw), dtype=torch.uint8)
    return out


def decode_names(rows: torch.Tensor) -> list[str]:
    """uint8 [slots, NAME_BYTES] -> the style names of the used slots ([] on the meta device)."""
    if rows.is_meta:
        return []
    names = []
    for row in rows.tolist():
        raw = bytes(row).rstrip(b"\0")
        if raw:
            names.append(raw.decode("utf-8", errors="replace"))
    return names


class MultiStyleGenerator(FeatureTapsMixin, nn.Module):
    """TransformerNet with AdaIN in the residual blocks and the decoder; [-1, 1] in and out."""

    def __init__(self, slots: int = STYLE_SLOTS, code_dim: int = CODE_DIM, n_res: int = 5) -> None:
        super().__init__()
        self.slots = slots
        self.default_style = 0
        # rows 0..slots-1: the styles; row `slots`: the identity (content) code
        self.style_codes = nn.Parameter(torch.randn(slots + 1, code_dim) * 0.1)
        self.register_buffer("style_names", encode_names([f"style{i}" for i in range(slots)], slots))
        self.conv1, self.in1 = ConvLayer(3, 32, 9), nn.InstanceNorm2d(32, affine=True)
        self.conv2, self.in2 = ConvLayer(32, 64, 3, stride=2), nn.InstanceNorm2d(64, affine=True)
        self.conv3, self.in3 = ConvLayer(64, 128, 3, stride=2), nn.InstanceNorm2d(128, affine=True)
        self.res = nn.ModuleList(StyledResBlock(128) for _ in range(n_res))
        self.up1 = StyledConv(128, 64, 3, upsample=2)
        self.up2 = StyledConv(64, 32, 3, upsample=2)
        self.out = ConvLayer(32, 3, 9)
        self.feature_taps = {"down": "in3", "mid": f"res.{n_res // 2}", "deep": f"res.{n_res - 1}"}

    # ------------------------------------------------------------------ styles

    @property
    def style_list(self) -> list[str]:
        """The names of the styles this network renders (trained slots only, once trained)."""
        return decode_names(self.style_names)

    @property
    def n_styles(self) -> int:
        return len(self.style_list)

    def set_style_names(self, names: list[str]) -> None:
        self.style_names.copy_(encode_names(list(names), self.slots))

    @property
    def card(self) -> ModelCard:
        return ModelCard(
            name="multistyle",
            family="multistyle",
            stride=4,
            resolution=256,
            source="trained by `stylelite train-teacher --family multistyle` (TransformerNet with AdaIN / "
            "conditional instance norm, Dumoulin et al. 2017)",
            license="stylelite code (Apache-2.0); the trained weights inherit the terms of their style and "
            "content images",
            styles=tuple(self.style_list),
            extra={
                "default_style": self.default_style,
                "strength": "forward(x) renders default_style at strength 1; forward_styled(x, weights, strength)",
            },
        )

    def style_code(self, style_weights: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        """[B,n_styles] weights and [B] strengths -> [B,code_dim] codes (see the module docstring)."""
        b, n = style_weights.shape
        if n > self.slots:
            raise ValueError(f"{n} style weights for a network with {self.slots} style slots")
        w = style_weights.to(self.style_codes.dtype)
        w = w / w.sum(1, keepdim=True).clamp_min(1e-8)
        styled = w @ self.style_codes[:n]  # [B,D]
        s = strength.to(self.style_codes.dtype).reshape(b, 1)
        return (1 - s) * self.style_codes[self.slots] + s * styled

    # ------------------------------------------------------------------ forward

    def forward_code(self, x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """Render with explicit [B,code_dim] codes."""
        y = F.relu(self.in1(self.conv1(x)))
        y = F.relu(self.in2(self.conv2(y)))
        y = F.relu(self.in3(self.conv3(y)))  # [B,128,H/4,W/4]
        for block in self.res:
            y = block(y, code)
        y = self.up2(self.up1(y, code), code)
        return torch.tanh(self.out(y))

    def forward_styled(self, x: torch.Tensor, style_weights: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        """x [B,3,H,W] in [-1, 1]; style_weights [B,n_styles] (>= 0, normalised to sum 1); strength [B] in [0, 1]."""
        return self.forward_code(x, self.style_code(style_weights, strength))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """`default_style` at full strength (what distillation and export see)."""
        b = x.shape[0]
        code = self.style_codes[self.default_style].expand(b, -1)
        return self.forward_code(x, code)


# No card declared here: its styles are set at run time (set_style_names, a checkpoint's names), so the
# model computes its card (MultiStyleGenerator.card).
@register_teacher
def multistyle() -> MultiStyleGenerator:
    """Multi-style TransformerNet with AdaIN: up to 8 styles, blends and a strength dial (~1.9M params)."""
    return MultiStyleGenerator()
