"""Engine options shared by `run`, `bench` and `serve` are bounded when the command line is parsed (issue 15):
an out-of-range value is a usage error (exit 2) naming the option, before any model is loaded."""

from __future__ import annotations

import pytest

from stylelite.cli.main import main


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "m.onnx", "-i", "clip.mp4", "-o", "o.mp4", "--threads", "-1"],
        ["bench", "m.onnx", "--threads", "-1"],
        ["serve", "m.onnx", "--threads", "-2"],
        ["run", "m.onnx", "-i", "clip.mp4", "-o", "o.mp4", "--threads", "two"],
    ],
)
def test_negative_threads_are_a_usage_error_in_every_verb(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "--threads" in err.splitlines()[-1] and "Traceback" not in err


def test_threads_zero_still_means_the_engines_default(tmp_path, student_onnx, clip_path, capsys):
    out = tmp_path / "o.mp4"
    assert (
        main(["run", str(student_onnx), "-i", str(clip_path), "-o", str(out), "--threads", "0", "--no-progress"]) == 0
    )
    assert out.is_file()
