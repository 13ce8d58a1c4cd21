"""Shared fixtures: small real files (a camera-motion mp4, an exported student) made once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
COMMITTED_STUDENT = ROOT / "tests" / "data" / "student.onnx"  # rebuilt by tests/data/make_student.py
os.environ.setdefault("MPLBACKEND", "Agg")


def make_photo(h: int = 200, w: int = 260, seed: int = 0) -> np.ndarray:
    """A textured colour image with edges (so flow is well defined)."""
    import cv2

    rng = np.random.default_rng(seed)
    img = cv2.resize(rng.integers(0, 256, (h // 10, w // 10, 3), dtype=np.uint8), (w, h), interpolation=cv2.INTER_CUBIC)
    for _ in range(12):
        c = tuple(int(v) for v in rng.integers(0, 256, 3))
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        cv2.circle(img, (x, y), int(rng.integers(8, 40)), c, -1)
    return img


@pytest.fixture(scope="session")
def clip_path(tmp_path_factory) -> Path:
    from stylelite.runtime.synthetic import make_camera_clip
    from stylelite.runtime.video import write_video

    path = tmp_path_factory.mktemp("clips") / "clip.mp4"
    return write_video(path, make_camera_clip(make_photo(), frames=8, size=(96, 72)), fps=10.0)


@pytest.fixture(scope="session")
def student_onnx(tmp_path_factory) -> Path:
    """A copy of the committed small ONNX student (tests/data/student.onnx): no torch needed."""
    import shutil

    path = tmp_path_factory.mktemp("artifacts") / "student.onnx"
    shutil.copyfile(COMMITTED_STUDENT, path)
    return path


@pytest.fixture(scope="session")
def student_tflite_int8(tmp_path_factory):
    """A real int8 TFLite student (mobilegen_s_025, 64x64, int8 I/O) and its calibration frames, converted once
    per session (~30 s of onnx2tf) for the export, runtime and device tests that only read it."""
    pytest.importorskip("onnx2tf")
    pytest.importorskip("ai_edge_litert")
    from stylelite.export.api import export_model
    from stylelite.runtime.synthetic import make_camera_clip

    frames = make_camera_clip(make_photo(seed=3), frames=8, size=(64, 64))
    path = tmp_path_factory.mktemp("tflite") / "s8.tflite"
    res = export_model(
        "mobilegen_s_025", path, format="tflite", precision="int8", calib=frames, dynamic=False, sample_size=64
    )
    return res, frames


def multistyle_weights(path: Path, names: list[str]):
    """An untrained multistyle teacher saved to `path` with style `names`, and the network; its AdaIN maps get
    random weights (untrained ones ignore the style code), so each style renders differently."""
    import torch

    from stylelite.distill.training_state import save_weights
    from stylelite.models.registry import create_teacher

    torch.manual_seed(0)
    net = create_teacher("multistyle")
    with torch.no_grad():
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    net.set_style_names(names)
    save_weights(path, net, metadata={"model": "multistyle"})
    return path, net


def run_cli(*args: str, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    """Run `stylelite ARGS` as a user types it (a fresh process, the installed console script)."""
    exe = Path(sys.executable).with_name("stylelite")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "stylelite"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, cwd=cwd or ROOT, timeout=timeout)
