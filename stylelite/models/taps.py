"""Named feature taps: the one hook every model exposes for feature distillation."""

from __future__ import annotations

import torch


class FeatureTapsMixin:
    """A model lists `feature_taps` (tap name -> submodule path); `forward_features` returns
    the output plus those activations, so teacher-student matching needs no per-model glue."""

    feature_taps: dict[str, str] = {}

    def forward_features(self, x: torch.Tensor, call=None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """(output, {tap: activation}); `call(x)` runs the model when plain forward is not the pass wanted
        (a style-conditioned teacher's `forward_styled` with its condition)."""
        feats: dict[str, torch.Tensor] = {}
        handles = []
        modules = dict(self.named_modules())  # type: ignore[attr-defined]
        for tap, path in self.feature_taps.items():

            def hook(_m, _i, out, tap=tap):
                feats[tap] = out

            handles.append(modules[path].register_forward_hook(hook))
        try:
            out = (call or self)(x)  # type: ignore[operator]
        finally:
            for h in handles:
                h.remove()
        return out, feats

    def tap_channels(self) -> dict[str, int]:
        """Channels of each tap, found by running a small input."""
        param = next(self.parameters())  # type: ignore[attr-defined]
        s = max(self.card.stride, 16)  # type: ignore[attr-defined]  # one stride: a U-Net takes no less
        with torch.no_grad():
            _, feats = self.forward_features(torch.zeros(1, 3, s, s, dtype=param.dtype))
        return {k: v.shape[1] for k, v in feats.items()}
