"""The runner bundle: the runtime package and the remote runner zipped into one file.

A board needs only Python with numpy, OpenCV and onnxruntime; the bundle brings stylelite's
torch-free code (`PYTHONPATH=bundle.zip python -m stylelite.device_tests.remote_runner ...`).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNNER_MODULES = (
    "device_tests/__init__.py",
    "device_tests/facts.py",
    "device_tests/memory.py",
    "device_tests/remote_runner.py",
)
BUNDLE_NAME = "stylelite_runner.zip"


def build_runner_bundle(dest_dir: str | Path) -> Path:
    """Write dest_dir/stylelite_runner.zip (runtime/**.py + the runner) and return its path."""
    dest = Path(dest_dir) / BUNDLE_NAME
    dest.parent.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in (ROOT / "runtime").rglob("*.py") if "__pycache__" not in p.parts)
    files += [ROOT / m for m in RUNNER_MODULES]
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            zf.write(f, f.relative_to(ROOT).as_posix())
    return dest
