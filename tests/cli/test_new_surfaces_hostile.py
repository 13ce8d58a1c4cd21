"""`stylelite bench --clip` given a mistyped clip set, or the textured set without Debian's opencv-doc."""

from __future__ import annotations

import dataclasses

import pytest

from stylelite.runtime.errors import InputError, MissingBackendError
from tests.conftest import ROOT, run_cli


@pytest.mark.parametrize("clip", ["Textured", "real,textured", ""])
def test_a_mistyped_clip_set_names_the_sets(clip, tmp_path):
    res = run_cli(
        "bench", str(ROOT / "tests" / "data" / "student.onnx"), "--clip", clip, "--max-frames", "2", cwd=tmp_path
    )
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert "(--clip takes a video file or a clip set: real, textured)" in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_the_textured_set_without_opencv_doc_says_what_to_install(tmp_path, monkeypatch):
    from stylelite.cli.bench import _clips
    from stylelite.runtime import corpus

    gone = {
        n: dataclasses.replace(c, path=str(tmp_path / "gone" / f"{n}.avi")) for n, c in corpus.TEXTURED_CLIPS.items()
    }
    monkeypatch.setitem(corpus.CLIP_SETS, "textured", gone)
    with pytest.raises(
        MissingBackendError, match="ships with Debian's opencv-doc package, .*apt-get install opencv-doc"
    ):
        _clips(["textured"])
    with pytest.raises(InputError, match="video not found: 'texture'"):
        _clips(["texture"])
