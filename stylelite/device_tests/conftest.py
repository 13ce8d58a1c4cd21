"""`pytest device_tests --device NAME [--devices devices.toml]`: the on-device suite on one inventory target.

Not part of the default run (pytest's testpaths is `tests`). Without --device it runs on `local`.
Artifacts: --artifact FILE (repeatable); default: the small ONNX student committed for the torch-free
runtime tests (tests/data/student.onnx).
"""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser):
    group = parser.getgroup("stylelite devices")
    group.addoption("--device", default="local", help="inventory target to run on (default: local)")
    group.addoption("--devices", default=None, help="device inventory TOML (default: ./devices.toml)")
    group.addoption("--artifact", action="append", default=[], help="artifact to test (repeatable)")
    group.addoption("--min-fps", type=float, default=0.0, help="fail below this many frames per second")


@pytest.fixture(scope="session")
def device_spec(request):
    from stylelite.device_tests.inventory import load_inventory, select_devices

    (spec,) = select_devices(
        load_inventory(request.config.getoption("--devices")), request.config.getoption("--device")
    )
    return spec


@pytest.fixture(scope="session")
def device_clip(tmp_path_factory) -> Path:
    from stylelite.runtime.synthetic import make_camera_clip
    from stylelite.runtime.video import write_video

    rng = __import__("numpy").random.default_rng(0)
    import cv2

    photo = cv2.resize(rng.integers(0, 256, (20, 26, 3), dtype="uint8"), (260, 200), interpolation=cv2.INTER_CUBIC)
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    return write_video(path, make_camera_clip(photo, frames=8, size=(96, 72)), fps=10.0)


@pytest.fixture(scope="session")
def artifacts(request, tmp_path_factory) -> list[Path]:
    given = [Path(a) for a in request.config.getoption("--artifact")]
    if given:
        return given
    committed = Path(__file__).resolve().parents[2] / "tests" / "data" / "student.onnx"  # the repository's tests/
    if not committed.is_file():
        pytest.skip("give --artifact FILE")
    return [committed]
