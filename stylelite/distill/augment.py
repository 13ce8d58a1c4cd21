"""Crops that cover the world: scale, colour, exposure and camera degradations of a few photos.

A student learns its teacher's function only where it sees inputs. Trained on a handful of photos it
learns their colours (green foliage came out brown, skin red on real clips), so every crop is drawn
at a random scale and pushed through random hue, saturation, exposure, contrast and gamma, and
sometimes the softness and noise of a cheap camera. The teacher labels the augmented crop, so the
targets stay exact whatever the augmentation does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import cv2
import numpy as np

from stylelite.runtime.errors import ConfigError

VIEWS = ("crop", "frame")
COLOURS = ("wide", "natural")  # the colour augmentations a label store may use (AugmentConfig.with_colours)


@dataclass(frozen=True)
class AugmentConfig:
    """Ranges of the random crop augmentations (each drawn uniformly; probabilities per crop).

    Attributes:
        scale: range of the source's resize factor before cropping (frames of real video are smaller
            than photos; 0.35 turns a 2-megapixel photo into roughly a 640-px video frame).
        hue_p: probability of rotating the hue by a uniform angle (any colour may come up).
        saturation: range of the saturation factor.
        exposure: range of the brightness gain.
        gamma: range of the gamma exponent.
        contrast: range of the contrast factor around the crop's mean.
        blur_p: probability of a down-up resize blur (soft, low-resolution footage).
        noise_p: probability of Gaussian noise (std up to `noise_std` of 255).
        noise_std: largest noise std.
        tint_p: probability that a greyscale texture (same three channels) is tinted a random colour.
        view: "crop" (a region at a random scale) or "frame" (nearly the whole image, 77-100 % of its short
            side): a teacher that normalises per image (instance norm) draws a crop differently from the same
            region of the whole frame, so its labels must be whole frames, as users run it.
    """

    scale: tuple[float, float] = (0.35, 1.25)
    hue_p: float = 0.5
    saturation: tuple[float, float] = (0.5, 1.5)
    exposure: tuple[float, float] = (0.6, 1.4)
    gamma: tuple[float, float] = (0.7, 1.5)
    contrast: tuple[float, float] = (0.7, 1.3)
    blur_p: float = 0.25
    noise_p: float = 0.25
    noise_std: float = 6.0
    tint_p: float = 0.9
    view: str = "crop"

    def __post_init__(self) -> None:
        for name in ("scale", "saturation", "exposure", "gamma", "contrast"):
            lo, hi = getattr(self, name)
            if not (0 < lo <= hi and np.isfinite(hi)):
                raise ConfigError(f"augment {name}={lo, hi}: give 0 < low <= high")
        for name in ("hue_p", "blur_p", "noise_p", "tint_p"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"augment {name}={getattr(self, name)}: give a probability in [0, 1]")
        if self.view not in VIEWS:
            raise ConfigError(f"augment view={self.view!r}: give one of {', '.join(VIEWS)}")
        if not 0.0 <= self.noise_std <= 64.0:
            raise ConfigError(f"augment noise_std={self.noise_std}: give 0..64 (of 255)")

    def with_colours(self, colours: str) -> AugmentConfig:
        """ "wide": these ranges (any hue: a student of a teacher that treats every colour alike learns them
        all); "natural": no hue rotation, no tinted textures, mild saturation, exposure, contrast and gamma
        (a teacher trained on natural photos, such as a photo-filter CycleGAN, answers wild colours
        erratically, and those answers would dominate the store)."""
        if colours not in COLOURS:
            raise ConfigError(f"label colours {colours!r}: give one of {', '.join(COLOURS)}")
        if colours == "wide":
            return self
        return replace(self, hue_p=0.0, saturation=(0.8, 1.2), exposure=(0.8, 1.25), gamma=(0.9, 1.1),
                       contrast=(0.85, 1.15), tint_p=0.0)  # fmt: skip

    def to_dict(self) -> dict:
        """The settings as JSON values; the default view is left out, so stores filled before views existed
        still agree with a crop-view spec."""
        out = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
        if out["view"] == "crop":
            del out["view"]
        return out


def augmented_crop(img: np.ndarray, size: int, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """A `size` x `size` uint8 RGB crop of `img` at a random scale, flipped, with random colour and camera."""
    h, w = img.shape[:2]
    lo = size / min(h, w)  # never smaller than the crop
    s = lo * rng.uniform(1.0, 1.3) if config.view == "frame" else max(lo, rng.uniform(*config.scale))
    if abs(s - 1.0) > 1e-3:
        interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
        img = cv2.resize(img, (max(size, round(w * s)), max(size, round(h * s))), interpolation=interp)
        h, w = img.shape[:2]
    y, x = rng.integers(h - size + 1), rng.integers(w - size + 1)
    crop = img[y : y + size, x : x + size]
    if rng.random() < 0.5:
        crop = crop[:, ::-1]
    crop = np.ascontiguousarray(crop)
    return camera(colour(crop, rng, config), rng, config)


def colour(crop: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """Random hue, saturation, exposure, contrast and gamma; a greyscale crop may be tinted first."""
    c = crop.astype(np.float32) / 255.0
    grey = np.ptp(crop.astype(np.int16), axis=-1).max() <= 2
    if grey and rng.random() < config.tint_p:  # a texture (grass, gravel, brick) in a random colour
        tint = cv2.cvtColor(np.uint8([[[rng.integers(180), rng.integers(60, 200), 255]]]), cv2.COLOR_HSV2RGB)
        c = c * (tint[0, 0].astype(np.float32) / 255.0)
    hsv = cv2.cvtColor(c, cv2.COLOR_RGB2HSV)  # float: H in degrees [0, 360), S and V in [0, 1]
    if rng.random() < config.hue_p:
        hsv[..., 0] = (hsv[..., 0] + rng.uniform(0, 360)) % 360
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(*config.saturation), 0, 1)
    c = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    mean = c.mean()
    c = (c - mean) * rng.uniform(*config.contrast) + mean
    c = np.clip(c * rng.uniform(*config.exposure), 0, 1) ** rng.uniform(*config.gamma)
    return (c * 255.0 + 0.5).astype(np.uint8)


def camera(crop: np.ndarray, rng: np.random.Generator, config: AugmentConfig) -> np.ndarray:
    """Sometimes the softness of a low-resolution camera and sensor noise."""
    size = crop.shape[0]
    if rng.random() < config.blur_p:
        small = max(8, round(size * rng.uniform(0.35, 0.8)))
        crop = cv2.resize(cv2.resize(crop, (small, small), interpolation=cv2.INTER_AREA), (size, size))
    if rng.random() < config.noise_p and config.noise_std > 0:
        noise = rng.normal(0.0, rng.uniform(0, config.noise_std), crop.shape)
        crop = np.clip(crop + noise, 0, 255).astype(np.uint8)
    return crop
