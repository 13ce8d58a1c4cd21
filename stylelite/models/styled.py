"""Style-conditioned models (e.g. `multistyle`) as graphs with style inputs, and their torch reference.

A model is style-conditioned when its card lists styles (`card.styles`) and it has
`forward_styled(x, style_weights [B,n], strength [B])`. Its artifact takes two extra inputs, named in
stylelite.runtime.style_control: STYLE_WEIGHTS_INPUT float32 [1, n_styles] and STRENGTH_INPUT float32 [1].
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from stylelite.runtime.style_control import StyleControl


class StyledGraph(nn.Module):
    """(image, style_weights, strength) -> model.forward_styled(...): the graph that gets exported, and the
    module the multistyle trainer hands to DistributedDataParallel (which calls forward)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor, style_weights: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        return self.model.forward_styled(image, style_weights, strength)


def example_style_inputs(n_styles: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Trace-time style inputs: [1, n_styles] weights and a [1] strength."""
    return torch.full((1, n_styles), 1.0 / n_styles), torch.ones(1)


def verification_controls(styles: tuple[str, ...]) -> list[StyleControl]:
    """What an export is verified at: the first style at full strength, and a blend of the first two
    at half strength (the first alone at half strength for a one-style model)."""
    blend = styles[1] if len(styles) > 1 else None
    return [StyleControl(), StyleControl(style=styles[0], blend_with=blend, mix=0.5, strength=0.5)]


@torch.no_grad()
def run_styled(model: nn.Module, rgb: np.ndarray, control: StyleControl, styles: tuple[str, ...]) -> np.ndarray:
    """torch reference of a style-conditioned model: uint8 RGB [H,W,3] -> uint8 RGB [H,W,3] as `control` asks."""
    from stylelite.models.tensors import pad_to_multiple, to_tensor, to_uint8

    card = model.card
    x, h, w = pad_to_multiple(to_tensor(rgb, card.input_range), card.stride)
    weights = torch.from_numpy(control.weights(styles)).expand(x.shape[0], -1)
    strength = torch.full((x.shape[0],), float(control.strength))
    out = to_uint8(model.forward_styled(x, weights, strength)[..., :h, :w], card.output_range)
    return out if rgb.ndim == 4 else out[0]
