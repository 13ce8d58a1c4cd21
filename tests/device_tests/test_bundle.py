"""The runner bundle holds the one stylelite namespace: a board imports the runner from the zip alone."""

import subprocess
import sys
import zipfile

from stylelite.device_tests.bundle import build_runner_bundle


def test_bundle_imports_the_runner_from_the_zip(tmp_path):
    bundle = build_runner_bundle(tmp_path)
    names = zipfile.ZipFile(bundle).namelist()
    assert "stylelite/__init__.py" in names and "stylelite/runtime/engines/__init__.py" in names
    assert "stylelite/device_tests/remote_runner.py" in names
    assert not [n for n in names if n.split("/")[1] in ("models", "export", "distill", "cli")], names
    code = (
        f"import sys; sys.path.insert(0, {str(bundle)!r}); import stylelite.device_tests.remote_runner as r; "
        "import stylelite.runtime.engines as e; print(r.__file__); print(e.__file__); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    runner, engines, torch_loaded = out.stdout.split()
    assert runner.startswith(str(bundle)) and engines.startswith(str(bundle)) and torch_loaded == "False"
