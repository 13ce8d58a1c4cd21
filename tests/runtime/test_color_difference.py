"""runtime.metrics.color_difference: colour casts count, fine detail does not."""

import cv2
import numpy as np

from stylelite.runtime.metrics import color_difference
from tests.conftest import make_photo


def test_identical_images_differ_by_nothing():
    img = make_photo(96, 128, seed=1)
    assert color_difference(img, img) == 0.0


def test_a_colour_cast_counts_and_fine_noise_does_not():
    img = make_photo(96, 128, seed=1)
    cast = np.clip(img.astype(int) + [40, -10, -30], 0, 255).astype(np.uint8)  # reddish
    rng = np.random.default_rng(0)
    noisy = np.clip(img.astype(int) + rng.integers(-40, 41, img.shape), 0, 255).astype(np.uint8)  # zero-mean speckle
    assert color_difference(img, cast) > 15.0
    assert color_difference(img, noisy) < color_difference(img, cast) / 4  # strong speckle averages out


def test_green_turned_brown_is_large():
    green = np.zeros((64, 64, 3), np.uint8)
    green[:] = (60, 140, 50)
    hsv = cv2.cvtColor(green, cv2.COLOR_RGB2HSV)
    hsv[..., 0] = 15  # the hue of brown
    brown = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    assert color_difference(green, brown) > 30.0
