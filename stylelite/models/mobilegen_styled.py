"""A style-conditioned MobileGen: one student for a teacher with several styles.

The student of a style-conditioned teacher (the `multistyle` AdaIN network, or an exported graph
with a style input) takes the same controls as its teacher: per-style weights [B, n_styles] and a
strength [B]. A two-layer MLP maps them to FiLM scale and shift vectors (Perez et al. 2018) applied
at four places: after the downsampling (1/4 resolution), after the inverted-residual blocks, after
the first upsampling, and on the head's three channels before the tanh (a per-style colour grade, the
difference between styles a network learns last through the deeper layers alone). The MLP runs on a
[1, n+1] vector, so the per-pixel cost over MobileGen is four broadcast Mul+Add pairs; every op is in
ONNX Runtime's and the mobile delegates' common set.

Styles: names travel with the weights in the `style_names` buffer (as the multistyle teacher's), and
`card.styles` lists them, so the export gets `style_weights` / `strength` inputs and the
runtime's `--style`, `--blend-with`, `--mix` and `--strength` drive it. The weights are normalised to
sum 1 inside the network. `forward(x)` renders the first style at full strength, or the condition
set with `conditioned(...)` (how the distiller runs the shared loss code on conditioned batches).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools

import torch
import torch.nn.functional as F
from torch import nn

from stylelite.models.mobilegen import MobileGen, _ch
from stylelite.models.multistyle import STYLE_SLOTS, decode_names, encode_names
from stylelite.models.registry import ModelCard, register_student

HIDDEN = 64


class StyleSlots:
    """Style names in a `style_names` buffer of `slots` rows (they travel with the weights) and the
    condition `forward(x)` renders inside `conditioned(...)`: what every style-conditioned student shares."""

    def init_style_slots(self, slots: int) -> None:
        self.slots = slots
        self.register_buffer("style_names", encode_names([f"style{i}" for i in range(slots)], slots))
        self._condition: tuple[torch.Tensor, torch.Tensor] | None = None
        self.card_lines: dict[str, str] = {}  # shipped weights' licence and source (registry.register_pretrained)

    def styled_card(self, **fields) -> ModelCard:
        """The card of a style-conditioned student: `fields`, its style names, then its weights' own lines."""
        card = ModelCard(
            source="stylelite (distilled from a style-conditioned teacher)",
            license="same as the teacher it was distilled from",
            styles=tuple(self.style_list),
            **fields,
        )
        return dataclasses.replace(card, **self.card_lines)

    @property
    def style_list(self) -> list[str]:
        return decode_names(self.style_names)

    def set_style_names(self, names: list[str] | tuple[str, ...]) -> None:
        self.style_names.copy_(encode_names(list(names), self.slots))

    @contextlib.contextmanager
    def conditioned(self, style_weights: torch.Tensor, strength: torch.Tensor):
        """Inside the block, forward(x) renders this condition ([N,n] weights, [N] strengths; a batch of
        k*N images takes the N conditions k times, so a cat([prev, cur]) pair shares its condition)."""
        previous, self._condition = self._condition, (style_weights, strength)
        try:
            yield self
        finally:
            self._condition = previous


class StyledMobileGen(StyleSlots, MobileGen):
    """MobileGen with FiLM conditioning on style weights and strength; RGB in [-1, 1] in and out; stride 4."""

    def __init__(self, width: float = 0.5, slots: int = STYLE_SLOTS, name: str = "mobilegen_styled_s_050") -> None:
        super().__init__(width)
        self.slots, self.name, self.width = slots, name, width
        c_half, c_quarter = _ch(32, width), _ch(64, width)
        # after down, after the blocks, after up1 + skip, on the head's RGB
        self.film_channels = (c_quarter, c_quarter, c_half, 3)
        self.condition = nn.Sequential(
            nn.Linear(slots + 1, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 2 * sum(self.film_channels))
        )
        nn.init.zeros_(self.condition[2].weight)  # starts as plain MobileGen: scale 1, shift 0
        nn.init.zeros_(self.condition[2].bias)
        self.init_style_slots(slots)

    @property
    def card(self) -> ModelCard:
        return self.styled_card(
            name=self.name,
            family="mobilegen_styled",
            stride=4,
            resolution=256,
            extra={
                "width": self.width,
                "strength": "forward(x) renders the first style at strength 1; forward_styled(x, weights, strength)",
            },
        )

    # ------------------------------------------------------------------ forward

    def _film(self, style_weights: torch.Tensor, strength: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
        b, n = style_weights.shape
        if n > self.slots:
            raise ValueError(f"{n} style weights for a network with {self.slots} style slots")
        w = style_weights / style_weights.sum(1, keepdim=True).clamp_min(1e-8)
        code = torch.cat([F.pad(w, (0, self.slots - n)), strength.reshape(b, 1).to(w.dtype)], dim=1)
        params = self.condition(code).split([c for c in self.film_channels for _ in (0, 1)], dim=1)
        return [(1 + params[2 * i][:, :, None, None], params[2 * i + 1][:, :, None, None]) for i in range(4)]

    def forward_styled_core(self, x: torch.Tensor, style_weights: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        """The exported graph: H and W multiples of 4; one condition per image."""
        (s0, b0), (s1, b1), (s2, b2), (s3, b3) = self._film(style_weights, strength)
        skip = self.stem(x)
        y = self.down(skip) * s0 + b0
        y = self.blocks(y) * s1 + b1
        y = (self.up1(y) + skip) * s2 + b2
        return torch.tanh(self.head(self.up2(y)) * s3 + b3)

    def forward_styled(self, x: torch.Tensor, style_weights: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        """x [B,3,H,W] in [-1, 1] (any H, W); style_weights [B,n] >= 0; strength [B] in [0, 1]."""
        return self.at_stride(functools.partial(self.forward_styled_core, style_weights=style_weights,
                                                strength=strength), x)  # fmt: skip

    def forward_core(self, x: torch.Tensor) -> torch.Tensor:
        if self._condition is None:  # the first style at full strength (padded to the slots by _film)
            ones = torch.ones(x.shape[0], device=x.device, dtype=x.dtype)
            return self.forward_styled_core(x, ones[:, None], ones)
        weights, strength = self._condition
        return self.forward_styled_core(x, tile(weights, len(x)).to(x.dtype), tile(strength, len(x)).to(x.dtype))


def tile(t: torch.Tensor, n: int) -> torch.Tensor:
    """The first `n` rows of `t` repeated end to end (conditions for n images from fewer)."""
    reps = -(-n // len(t))
    return t.repeat(reps, *[1] * (t.ndim - 1))[:n]


@register_student
def mobilegen_styled_s_050() -> StyledMobileGen:
    """Width 0.5 with style inputs: the student of a style-conditioned teacher."""
    return StyledMobileGen(0.5, name="mobilegen_styled_s_050")
