"""Run-folder scalars: JSONL and TensorBoard events, written without importing TensorFlow."""

import subprocess
import sys

CODE = """
import pathlib, sys
from stylelite.distill.run_dir import ScalarLog
run = pathlib.Path(sys.argv[1])
log = ScalarLog(run)
log.log(1, loss=1.5)
log.log(2, loss=2.5)
log.close()
print("tensorflow" in sys.modules)
"""


def test_scalars_reach_tensorboard_without_tensorflow(tmp_path):
    out = subprocess.run([sys.executable, "-c", CODE, str(tmp_path)], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == "False"
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(tmp_path / "tb"))
    events.Reload()
    assert [(e.step, e.value) for e in events.Scalars("loss")] == [(1, 1.5), (2, 2.5)]
    assert (tmp_path / "log.jsonl").read_text().count("loss") == 2
