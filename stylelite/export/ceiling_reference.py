"""The dense-conv ceiling reference: the artifacts `stylelite bench` times beside every model.

A model's achieved GMAC/s means little alone; beside the GMAC/s that the same engine, precision and
device reach on a plain stack of dense 3x3 convolutions (64 -> 64 channels at 1/4 resolution, the
layer CPUs and mobile delegates run best), it says how much of the silicon a design uses.

The reference is an ordinary stylelite image model (so the bench loads and feeds it exactly as it
does a student): a 4x4 stride-4 stem, four dense 3x3 64->64 convs with ReLU at 1/4 resolution, a
1x1 head and a pixel shuffle; the four dense convs are 96 % of its MACs. Its artifacts are committed
under runtime/reference/ (the bench needs no torch); this module rebuilds them:

    python -m stylelite.export.ceiling_reference
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from stylelite.models.identity import ModelIdentity
from stylelite.models.registry import ModelCard
from stylelite.runtime.reference import REFERENCE_DIR

CHANNELS, LAYERS = 64, 4


class DenseConvReference(nn.Module):
    """[B,3,H,W] -> [B,3,H,W]; H and W multiples of 4."""

    def __init__(self, channels: int = CHANNELS, layers: int = LAYERS, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.stem = nn.Sequential(nn.Conv2d(3, channels, 4, stride=4), nn.ReLU())
        self.body = nn.Sequential(
            *[nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU()) for _ in range(layers)]
        )
        self.head = nn.Conv2d(channels, 48, 1)
        self.shuffle = nn.PixelShuffle(4)
        with torch.no_grad():  # keep activations in a sane range for every precision
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
                    m.bias.zero_()
            self.head.weight.mul_(0.05)
        self.card = ModelCard(
            name="dense_conv_reference",
            family="reference",
            stride=4,
            resolution=256,
            source="stylelite (random weights: a timing reference, not a filter)",
            license="Apache-2.0",
            extra={"channels": channels, "layers": layers},
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shuffle(self.head(self.body(self.stem(x))))


def build_references(out_dir: Path = REFERENCE_DIR) -> list[Path]:
    """Export every reference artifact into `out_dir`: each format and precision the format table
    (stylelite.export.formats) marks for the bench's ceiling (runtime/reference's REFERENCE_ARTIFACTS)."""
    from stylelite.export.api import export_loaded
    from stylelite.export.export_config import ExportConfig, calibration_for
    from stylelite.export.formats import reference_sweep
    from stylelite.runtime.corpus import photo_paths
    from stylelite.runtime.video import read_image

    net = DenseConvReference().eval()
    identity = ModelIdentity.of(net, net.card, weights="dense_conv_reference (seed 0)")
    photos = [read_image(p) for p in photo_paths().values()]
    written = []
    for (fmt, precision), (name, size) in reference_sweep().items():
        config = ExportConfig(format=fmt, precision=precision, dynamic=size is None, sample_size=size or 256)
        calibration = calibration_for(config, photos)  # int8 only: real photos, every fourth held out
        result = export_loaded(net, identity, out_dir / name, config, verify_frames=photos[:4], calibration=calibration)
        print(f"{result.path.name}: {result.size_mb:.2f} MB, {result.verification}")
        written.append(result.path)
    return written


if __name__ == "__main__":
    build_references()
