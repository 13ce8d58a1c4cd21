"""`--data opencv-photos`: Debian opencv-doc's colour photos for training (distillation data needs torch, so
these live beside the distillation tests, not in the torch-free runtime tests)."""

import os
from pathlib import Path

import pytest

from stylelite.runtime import corpus
from stylelite.runtime.errors import MissingBackendError


def test_opencv_training_photos_are_real_colour_photos_and_never_the_held_out_clips(tmp_path):
    """`--data opencv-photos`: 20 colour photos of Debian's opencv-doc; none of them is a textured clip a
    student is scored on, and a run without the package gets one line naming it."""
    if not all(os.path.isfile(c.path) for c in corpus.OPENCV_PHOTOS.values()):
        pytest.skip("Debian's opencv-doc is not installed (apt-get install opencv-doc)")
    from stylelite.distill.data import check_sources, named_sources

    photos = named_sources(("opencv-photos",))
    assert len(photos) == 20 and all(name.startswith("opencv/") for name in photos)
    for name, img in photos.items():
        assert img.ndim == 3 and min(img.shape[:2]) >= 256, name
        assert img.astype(int).std(axis=2).mean() > 2, name  # colour, not greyscale (0)
    held_out = {Path(c.path).name for c in corpus.TEXTURED_CLIPS.values()}
    assert not held_out & {Path(c.path).name for c in corpus.OPENCV_PHOTOS.values()}
    check_sources(("opencv-photos", "world"))


def test_opencv_training_photos_without_the_package_are_one_line(monkeypatch):
    item = corpus.CorpusItem("debian:opencv-doc", "/nonexistent/opencv-doc/aero1.jpg", "a town")
    monkeypatch.setattr(corpus, "OPENCV_PHOTOS", {"opencv/aero1.jpg": item})
    from stylelite.distill.data import check_sources

    with pytest.raises(MissingBackendError, match=r"^aero1.jpg ships with Debian.s opencv-doc .*apt-get install"):
        check_sources(("opencv-photos",))
