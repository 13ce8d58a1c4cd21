"""pix2pix data whose targets a filter computes: photos, augmented per crop, and the filter's output
on each crop (`--target-filter cartoon`; the built-in cartoon teacher trains on this).

The target is computed on each augmented crop (with a margin, then cropped), so the network learns
the filter itself rather than the palette of a handful of photos. The held-out score compares a
model with the filter on the bundled held-out photos.
"""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import torch
from torch import nn

from stylelite.distill.cartoon import cartoonize
from stylelite.models.tensors import pad_to_multiple, to_tensor, to_uint8
from stylelite.runtime.errors import InputError
from stylelite.runtime.metrics import psnr

Filter = Callable[[np.ndarray], np.ndarray]  # uint8 RGB [H,W,3] -> uint8 RGB [H,W,3]
FILTERS: dict[str, Filter] = {"cartoon": cartoonize}
MARGIN = 16  # px around each crop the filter sees, so its border effects stay outside the crop


class FilteredCrops:
    """Random photo crops and their filtered targets, with scale, colour and flip augmentation.

    Args:
        photos: uint8 RGB images at their own size (those smaller than crop + 2 * MARGIN are skipped).
        crop: the side of a training crop.
        seed: seeds the sampling (per rank, and moved on after a resume).
        augment: rescale each photo at random and jitter its hue, saturation and value first.
        target: the filter computing the target of a crop.
        flip: flip input and target together at random.
    """

    def __init__(
        self,
        photos: list[np.ndarray],
        crop: int,
        seed: int,
        augment: bool = True,
        target: Filter = cartoonize,
        flip: bool = True,
    ) -> None:
        self.photos = [p for p in photos if min(p.shape[:2]) >= crop + 2 * MARGIN]
        if not self.photos:
            raise InputError(f"no training photo is at least {crop + 2 * MARGIN} px on its shorter side: lower --crop")
        self.crop, self.augment, self.target, self.flip = crop, augment, target, flip
        self.rng = np.random.default_rng(seed)

    def _augment(self, img: np.ndarray) -> np.ndarray:
        r = self.rng
        h, w = img.shape[:2]
        s = r.uniform(max(0.45, (self.crop + 2 * MARGIN) / min(h, w)), 1.0)
        img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).astype(np.float32)
        hsv[..., 0] = (hsv[..., 0] + r.uniform(0, 180)) % 180  # any hue
        hsv[..., 1] *= r.uniform(0.3, 1.3)
        hsv[..., 2] = hsv[..., 2] * r.uniform(0.6, 1.25) + r.uniform(-20, 20)
        return cv2.cvtColor(np.clip(hsv, 0, 255).astype(np.uint8), cv2.COLOR_HSV2RGB)

    def sample(self) -> tuple[np.ndarray, np.ndarray]:
        """One (input, target) pair of uint8 [crop,crop,3] crops."""
        photo = self.photos[self.rng.integers(len(self.photos))]
        m = MARGIN
        c = self.crop + 2 * m
        if self.augment:
            h, w = photo.shape[:2]
            y0, x0 = self.rng.integers(h - c + 1), self.rng.integers(w - c + 1)
            big = photo[max(0, y0 - c) : y0 + 2 * c, max(0, x0 - c) : x0 + 2 * c]  # local context, cheap to augment
            photo = self._augment(big if min(big.shape[:2]) >= c else photo)
        h, w = photo.shape[:2]
        y0, x0 = self.rng.integers(h - c + 1), self.rng.integers(w - c + 1)
        window = photo[y0 : y0 + c, x0 : x0 + c]
        a, b = window[m:-m, m:-m], self.target(window)[m:-m, m:-m]
        if self.flip and self.rng.random() < 0.5:
            a, b = a[:, ::-1], b[:, ::-1]
        return a, b

    def batch(self, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and targets [n,3,crop,crop] in [-1, 1]."""
        xs, ys = zip(*(self.sample() for _ in range(n)))
        return to_tensor(np.stack(xs)), to_tensor(np.stack(ys))


@torch.no_grad()
def heldout_psnr(model: nn.Module, target: Filter = cartoonize, size: int = 256) -> float:
    """Mean PSNR (dB) of the model's output to the filter's on the held-out photos (longer side `size`).

    Runs the model in eval mode on its own device; the caller puts it back in train mode.
    """
    from stylelite.distill.photos import builtin_photos

    model.eval()
    device = next(model.parameters()).device
    card = model.card
    scores = []
    for photo in builtin_photos("heldout").values():
        h, w = photo.shape[:2]
        s = size / max(h, w)
        small = cv2.resize(photo, (round(w * s / 4) * 4, round(h * s / 4) * 4), interpolation=cv2.INTER_AREA)
        x, hh, ww = pad_to_multiple(to_tensor(small, card.input_range), card.stride)
        out = to_uint8(model(x.to(device))[..., :hh, :ww], card.output_range)[0]
        scores.append(psnr(out, target(small)))
    return float(np.mean(scores))
