"""`--label-view frame`: stored crops that show nearly the whole image, as a per-image-normalising teacher
must be labelled (its output on a crop differs from the same region of its output on the whole frame)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from stylelite.distill.augment import AugmentConfig, augmented_crop
from stylelite.distill.label_store import StoreSpec
from stylelite.runtime.errors import ConfigError


def _ramp(h: int = 300, w: int = 400) -> np.ndarray:
    """x in the red channel, y in the green one: a crop's span of each says how much of the image it shows."""
    x = np.linspace(0, 255, w)[None, :].repeat(h, 0)
    y = np.linspace(0, 255, h)[:, None].repeat(w, 1)
    return np.stack([x, y, np.full_like(x, 128)], -1).astype(np.uint8)


def _short_side_span(crop: np.ndarray) -> float:
    return (float(crop[..., 1].max()) - float(crop[..., 1].min())) / 255.0  # the short side is the height


def test_frame_view_shows_most_of_the_image_and_crop_view_does_not():
    plain = AugmentConfig(hue_p=0, saturation=(1, 1), exposure=(1, 1), gamma=(1, 1), contrast=(1, 1), blur_p=0)
    plain = AugmentConfig(**{**plain.__dict__, "noise_p": 0.0})
    frame = AugmentConfig(**{**plain.__dict__, "view": "frame"})
    rng = np.random.default_rng(0)
    frames = [_short_side_span(augmented_crop(_ramp(), 96, rng, frame)) for _ in range(30)]
    crops = [_short_side_span(augmented_crop(_ramp(), 96, rng, plain)) for _ in range(30)]
    assert min(frames) > 0.74, "a frame view covers 77-100 % of the short side"
    assert np.median(crops) < 0.6, "a crop view is a region"


def test_the_default_view_keeps_older_stores_readable():
    assert "view" not in AugmentConfig().to_dict(), "a crop-view spec equals one written before views existed"
    assert AugmentConfig(view="frame").to_dict()["view"] == "frame"
    common = dict(teacher="t", teacher_digest="", crop=32, crops=4, shard_size=4, seed=0, sources=("a",))
    old = StoreSpec(**common, augment=json.loads(json.dumps(AugmentConfig().to_dict())))
    assert StoreSpec(**common, augment=AugmentConfig().to_dict()).agrees_with(old) == []
    assert StoreSpec(**common, augment=AugmentConfig(view="frame").to_dict()).agrees_with(old) == ["augment"]
    with pytest.raises(ConfigError, match="view='whole'"):
        AugmentConfig(view="whole")


def test_frame_view_needs_a_label_store(tmp_path, monkeypatch, capsys):
    from stylelite.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["distill", "--student", "normgen_t_050", "--label-view", "frame", "--w-feature", "0"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "add --labels DIR" in err[0]
    assert not (tmp_path / "runs").exists()
