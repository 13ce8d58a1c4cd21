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
    assert {f"stylelite/benchmark/{m}.py" for m in ("__init__", "timing", "memory", "facts")} <= set(names)
    assert not [n for n in names if n.split("/")[1] in ("models", "export", "distill", "reports", "cli")], names
    assert "stylelite/benchmark/host_bench.py" not in names  # only what the runner imports
    code = (
        f"import sys; sys.path.insert(0, {str(bundle)!r}); import stylelite.device_tests.remote_runner as r; "
        "import stylelite.runtime.engines as e, stylelite.benchmark.timing as t; "
        "print(r.__file__); print(e.__file__); print(t.__file__); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=True)
    runner, engines, timing, torch_loaded = out.stdout.split()
    assert all(p.startswith(str(bundle)) for p in (runner, engines, timing)) and torch_loaded == "False"
