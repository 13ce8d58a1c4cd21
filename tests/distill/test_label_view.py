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


def test_natural_colours_keep_hues_and_leave_textures_grey():
    natural = AugmentConfig(view="frame").with_colours("natural")
    assert natural.hue_p == 0.0 and natural.tint_p == 0.0 and natural.view == "frame"
    assert AugmentConfig().with_colours("wide") == AugmentConfig()
    rng = np.random.default_rng(0)
    red = np.zeros((64, 64, 3), np.uint8)
    red[..., 0] = 200
    grey = np.full((64, 64, 3), 120, np.uint8)
    for _ in range(20):
        r = augmented_crop(red, 48, rng, natural).astype(int)
        assert (r[..., 0] > r[..., 1] + 40).mean() > 0.95, "red stays red: no hue rotation"
        g = augmented_crop(grey, 48, rng, natural).astype(int)
        assert np.ptp(g.mean((0, 1))) <= 3, "a grey texture is not tinted (its channels differ only by noise)"
    with pytest.raises(ConfigError, match="give one of wide, natural"):
        AugmentConfig().with_colours("vivid")


def test_label_colours_is_a_store_option_recorded_in_its_spec(tmp_path):
    from stylelite.distill.distill_config import DistillConfig
    from stylelite.distill.label_store import read_spec
    from tests.conftest import run_cli

    with pytest.raises(ConfigError, match="--label-colours natural fills a label store: add --labels DIR"):
        DistillConfig(label_colours="natural")
    args = ["--teacher", "fast_neural_style", "--random-teacher", "--student", "shufflegen_t_038", "--steps", "1"]
    args += ["--batch", "1", "--crop", "32", "--label-crops", "2", "--w-temporal", "0"]
    r = run_cli("distill", *args, "--labels", str(tmp_path / "s"), "--label-colours", "natural",
                "-o", str(tmp_path / "r"))  # fmt: skip
    assert r.returncode == 0, r.stderr[-1500:]
    assert read_spec(tmp_path / "s").augment["hue_p"] == 0.0
    r = run_cli("distill", *args, "--labels", str(tmp_path / "s"), "-o", str(tmp_path / "r"))
    assert r.returncode == 1 and "made with other" in r.stderr  # a wide-colour run does not mix into it
