"""The runner bundle: the runtime package, the remote runner and the benchmark modules it uses, zipped.

A board needs only Python with numpy, OpenCV and onnxruntime; the bundle brings stylelite's
torch-free code (`PYTHONPATH=bundle.zip python -m stylelite.device_tests.remote_runner ...`).
The runner times with the host's own loop (benchmark/timing.py) and measures memory and machine
facts with the host's modules, so a board and the host measure the same way.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import stylelite

PACKAGE = Path(stylelite.__file__).resolve().parent  # stylelite/
RUNNER_MODULES = (  # each imports only the standard library, numpy and the runtime
    "benchmark/__init__.py",
    "benchmark/facts.py",
    "benchmark/memory.py",
    "benchmark/timing.py",
    "device_tests/__init__.py",
    "device_tests/remote_runner.py",
)
BUNDLE_NAME = "stylelite_runner.zip"


def build_runner_bundle(dest_dir: str | Path) -> Path:
    """Write dest_dir/stylelite_runner.zip (stylelite/__init__.py, stylelite/runtime/**.py and the runner,
    under the one stylelite namespace) and return its path."""
    dest = Path(dest_dir) / BUNDLE_NAME
    dest.parent.mkdir(parents=True, exist_ok=True)
    runtime = PACKAGE / "runtime"
    names = ["__init__.py"] + sorted(
        "runtime/" + p.relative_to(runtime).as_posix() for p in runtime.rglob("*.py") if "__pycache__" not in p.parts
    )
    names += list(RUNNER_MODULES)
    with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            zf.write(PACKAGE / name, f"stylelite/{name}")
    return dest
