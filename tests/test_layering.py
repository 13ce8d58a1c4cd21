"""The floor: runtime/ (and `stylelite run`) must not load torch or TensorFlow."""

import subprocess
import sys

from tests.conftest import ROOT

CHECK = """
import sys
import runtime, runtime.cli, runtime.stylize, runtime.engines, runtime.flicker, runtime.flow, runtime.video
import device_tests.bench
from runtime.cli import main
try:
    main(["run", "--help"])
except SystemExit:
    pass
heavy = [m for m in ("torch", "tensorflow") if m in sys.modules]
print("HEAVY:" + ",".join(heavy))
"""


def test_runtime_imports_no_torch():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY:"
