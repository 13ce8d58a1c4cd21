"""Photos that ship with scikit-image: the built-in training and held-out images."""

from __future__ import annotations

import numpy as np

# Natural colour photos bundled in the scikit-image wheel (no download needed).
TRAIN_PHOTOS = ("astronaut", "coffee", "rocket", "hubble_deep_field", "retina", "motorcycle_left")
HELDOUT_PHOTOS = ("chelsea", "immunohistochemistry")


def load_photo(name: str) -> np.ndarray:
    """uint8 RGB [H,W,3] for a bundled photo name."""
    import skimage.data

    if name == "motorcycle_left":
        return np.ascontiguousarray(skimage.data.stereo_motorcycle()[0])
    return np.ascontiguousarray(getattr(skimage.data, name)()[..., :3])


def builtin_photos(split: str = "train") -> dict[str, np.ndarray]:
    names = {"train": TRAIN_PHOTOS, "heldout": HELDOUT_PHOTOS, "all": TRAIN_PHOTOS + HELDOUT_PHOTOS}[split]
    return {n: load_photo(n) for n in names}
