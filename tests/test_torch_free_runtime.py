"""The runtime without torch: `pip install .` (the base package, no extras) into an empty venv installs
one top-level module, `stylelite`, no torch and no TensorFlow, and the runtime tests (tests/runtime/)
pass there against the committed small ONNX student (tests/data/student.onnx).

The tests run from a copy of tests/ outside the checkout, so they import the installed package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv

from tests.conftest import ROOT

PROBE = """
import importlib.metadata as md, importlib.util, json, pathlib
dist = md.distribution("stylelite")
tops = sorted({pathlib.PurePath(f).parts[0] for f in dist.files if not str(f).endswith((".dist-info", ".pth"))
               and ".dist-info" not in str(f) and not str(f).startswith("..")})
print(json.dumps({"tops": tops, "torch": importlib.util.find_spec("torch") is not None,
                  "tensorflow": importlib.util.find_spec("tensorflow") is not None}))
"""


def test_base_install_is_one_module_and_runs_the_runtime_tests_without_torch(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    # Build from a clean copy of the checkout: setuptools reuses an in-tree build/ folder, stale files included.
    src = tmp_path / "src"
    skip = shutil.ignore_patterns(".git", ".venv*", "build", "runs", "*.egg-info", "__pycache__", ".*_cache", "demo")
    shutil.copytree(ROOT, src, symlinks=True, ignore=skip)
    pip = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", str(src), "pytest"], capture_output=True, text=True, env=env
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    # (run outside any checkout: a stylelite.egg-info in the working folder would be found first)
    probe = subprocess.run([str(py), "-c", PROBE], capture_output=True, text=True, env=env, cwd=tmp_path, check=True)
    facts = json.loads(probe.stdout)
    assert facts == {"tops": ["stylelite"], "torch": False, "tensorflow": False}, facts

    work = tmp_path / "work"
    shutil.copytree(ROOT / "tests", work / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(ROOT / "pyproject.toml", work / "pyproject.toml")  # markers and default options
    proc = subprocess.run(
        [str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/runtime"],
        cwd=work,
        capture_output=True,
        text=True,
        env={**env, "HOME": str(tmp_path / "home")},
        timeout=900,
    )
    tail = proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.returncode == 0, tail
    assert " passed" in proc.stdout.strip().splitlines()[-1], tail
    imported = subprocess.run(
        [str(py), "-c", "import stylelite.runtime as r; print(r.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=work,
    ).stdout
    assert str(env_dir) in imported  # the installed package, not the checkout
    print(proc.stdout.strip().splitlines()[-1], file=sys.stderr)
