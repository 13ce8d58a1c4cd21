"""The perceptual objective of Johnson et al. (2016), "Perceptual Losses for Real-Time Style Transfer".

Content: MSE of VGG-16 relu2_2 features of the output and the content image. Style: MSE of the Gram
matrices of relu1_2, relu2_2, relu3_3 and relu4_3 features of the output and the style image, each
Gram divided by C*H*W. Total variation: mean squared difference of neighbouring output pixels (on
the [0, 1] scale). Images enter in [0, 255]; the loss divides by 255 and applies the ImageNet mean
and std inside, as torchvision's VGG-16 expects. Default weights are pytorch/examples'
fast_neural_style ones (content 1e5, style 1e10), which trained its released candy/mosaic models.

The VGG-16 `features` stack is written out here with torchvision's indices (torchvision is not a
dependency), so torchvision's ImageNet file (vgg16-397923af.pth) loads strictly on `features.*`.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from stylelite.runtime.errors import CheckpointError

# torchvision's cfg "D": channels, "M" = 2x2 max pool
VGG16_CFG = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
# index of each ReLU in `features` (torchvision layout)
VGG16_RELU = {"relu1_2": 3, "relu2_2": 8, "relu3_3": 15, "relu4_3": 22}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CONTENT_LAYER = "relu2_2"
STYLE_LAYERS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")


class VGG16Features(nn.Module):
    """torchvision's `vgg16().features` (keys features.0 ... features.28); `width` < 1 narrows every
    layer (a random-init stand-in for tests only)."""

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for v in VGG16_CFG:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                cout = max(1, int(v * width))
                layers += [nn.Conv2d(cin, cout, 3, padding=1), nn.ReLU(inplace=True)]
                cin = cout
        self.features = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, taps: tuple[str, ...]) -> dict[str, torch.Tensor]:
        """Activations at the named ReLUs; stops after the deepest one asked for."""
        want = {VGG16_RELU[t]: t for t in taps}
        out = {}
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in want:
                out[want[i]] = x
                if len(out) == len(want):
                    break
        return out


def load_vgg16_features(path: str | Path) -> VGG16Features:
    """torchvision's ImageNet VGG-16 (`vgg16-397923af.pth`), strict on the `features.*` keys
    (`classifier.*` is ignored). Read with torch.load(weights_only=True)."""
    from stylelite.distill.trainers.config import VGG_HINT
    from stylelite.models.checkpoints import describe_mismatch, read_state_dict

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"VGG-16 weights not found: {path}; expected {VGG_HINT}")
    state = {k: v for k, v in read_state_dict(path).items() if k.startswith("features.")}
    model = VGG16Features()
    problem = describe_mismatch(model, state)
    if problem:
        raise CheckpointError(f"{path.name} is not {VGG_HINT}: {problem}")
    model.load_state_dict(state, strict=True)
    return model


def gram_matrix(f: torch.Tensor) -> torch.Tensor:
    """[B,C,H,W] -> [B,C,C], divided by C*H*W."""
    b, c, h, w = f.shape
    f = f.reshape(b, c, h * w)
    return f @ f.transpose(1, 2) / (c * h * w)


def total_variation(y255: torch.Tensor) -> torch.Tensor:
    """Per sample: mean squared difference of vertically plus of horizontally neighbouring pixels,
    on the [0, 1] scale. [B,C,H,W] -> [B]."""
    y = y255 / 255.0
    dy = (y[..., 1:, :] - y[..., :-1, :]).pow(2).flatten(1).mean(1)
    dx = (y[..., :, 1:] - y[..., :, :-1]).pow(2).flatten(1).mean(1)
    return dy + dx


class PerceptualLoss(nn.Module):
    """Content, style and total-variation terms on a frozen VGG-16; images in [0, 255]."""

    def __init__(self, vgg: VGG16Features) -> None:
        super().__init__()
        self.vgg = vgg.eval().requires_grad_(False)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255.0)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255.0)

    def train(self, mode: bool = True) -> PerceptualLoss:
        super().train(mode)
        self.vgg.eval()  # the loss network never trains
        return self

    def features(self, x255: torch.Tensor, taps: tuple[str, ...]) -> dict[str, torch.Tensor]:
        return self.vgg((x255 - self.mean) / self.std, taps)

    @torch.no_grad()
    def style_grams(self, style255: torch.Tensor) -> dict[str, torch.Tensor]:
        """Gram targets of one style image [1,3,H,W] -> {layer: [C,C]}."""
        return {k: gram_matrix(v)[0] for k, v in self.features(style255, STYLE_LAYERS).items()}

    def forward(
        self, y255: torch.Tensor, content255: torch.Tensor, grams: dict[str, torch.Tensor]
    ) -> dict[str, torch.Tensor]:
        """Per-sample terms: {"content": [B], "style": [B], "tv": [B]}.

        `grams[layer]` is [C,C] (one style for the batch) or [B,C,C] (a style per sample).
        """
        taps = tuple(dict.fromkeys((CONTENT_LAYER, *STYLE_LAYERS)))
        fy = self.features(y255, taps)
        with torch.no_grad():
            fx = self.features(content255, (CONTENT_LAYER,))
        content = (fy[CONTENT_LAYER] - fx[CONTENT_LAYER]).pow(2).flatten(1).mean(1)
        style = sum(
            (gram_matrix(fy[layer]) - grams[layer].expand(len(y255), -1, -1)).pow(2).flatten(1).mean(1)
            for layer in STYLE_LAYERS
        )
        return {"content": content, "style": style, "tv": total_variation(y255)}


def perceptual_loss_from_config(vgg: str, random_width: float = 0.0, seed: int = 0) -> PerceptualLoss:
    """The loss network a config asks for: the ImageNet file, or (tests only) a random narrow VGG."""
    if random_width > 0:
        g = torch.get_rng_state()
        torch.manual_seed(seed + 4242)  # the same random net on every rank and after a resume
        net = VGG16Features(random_width)
        torch.set_rng_state(g)
        return PerceptualLoss(net)
    return PerceptualLoss(load_vgg16_features(vgg))


__all__ = [
    "VGG16Features",
    "load_vgg16_features",
    "gram_matrix",
    "total_variation",
    "PerceptualLoss",
    "perceptual_loss_from_config",
]
