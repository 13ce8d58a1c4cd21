"""stylelite.runtime.video.VideoWriter: every container it offers plays back at its size and frame rate."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from stylelite.runtime.errors import InputError
from stylelite.runtime.video import VIDEO_CODECS, VideoWriter, iter_video, video_info, write_video
from tests.conftest import make_photo


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / max(np.mean((a.astype(np.float64) - b) ** 2), 1e-12)))


def chroma_floor(rgb: np.ndarray) -> float:
    """PSNR of a frame after a 4:2:0 round trip and nothing else."""
    import av

    yuv = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    return psnr(rgb, yuv.reformat(format="rgb24").to_ndarray())


@pytest.mark.parametrize("suffix", sorted(VIDEO_CODECS))
def test_each_container_round_trips(tmp_path, suffix):
    frames = [make_photo(72, 96, seed=i) for i in range(6)]
    path = write_video(tmp_path / f"clip{suffix}", frames, fps=12.0)
    got = list(iter_video(path))
    assert video_info(path)[0] == pytest.approx(12.0) and len(got) == 6
    assert all(g.shape == (72, 96, 3) for g in got)
    # lossy, but within 2.5 dB of what 4:2:0 chroma alone costs these detailed test photos
    assert all(psnr(a, b) > chroma_floor(a) - 2.5 for a, b in zip(frames, got))


def test_odd_sizes_and_ntsc_rates_are_kept(tmp_path):
    frames = [make_photo(71, 97, seed=i) for i in range(4)]  # OpenCV's writer would give 96x70
    path = write_video(tmp_path / "odd.mp4", frames, fps=30000 / 1001)
    fps, count, w, h = video_info(path)
    assert (w, h, count) == (97, 71, 4) and fps == pytest.approx(29.97, abs=0.01)
    assert psnr(frames[0], next(iter_video(path))) > chroma_floor(frames[0]) - 1.5


def test_wrong_frames_and_containers_are_refused(tmp_path):
    with VideoWriter(tmp_path / "a.mp4", 10.0, (96, 72)) as w, pytest.raises(ValueError, match="does not match"):
        w.write(np.zeros((72, 95, 3), np.uint8))
    with pytest.raises(InputError, match="unsupported video container"):
        VideoWriter(tmp_path / "a.flv", 10.0, (96, 72))


def test_run_keeps_an_odd_sized_video_whole(tmp_path, student_onnx):
    from tests.conftest import run_cli

    src = write_video(tmp_path / "odd.mp4", [make_photo(71, 97, seed=i) for i in range(5)], fps=10.0)
    proc = run_cli("run", str(student_onnx), "-i", str(src), "-o", str(tmp_path / "out.mp4"), "--no-progress")
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert video_info(tmp_path / "out.mp4")[1:] == (5, 97, 71)
    assert cv2.VideoCapture(str(tmp_path / "out.mp4")).isOpened()
