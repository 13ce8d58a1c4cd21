"""An edited `inputs.json` in a distill run folder (distill/run_dir.py): a resume never continues without
knowing its teacher is the one the run started with; every edit is one ConfigError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stylelite.distill.run_dir import INPUTS_FILE, _sha256, check_inputs_unchanged
from stylelite.runtime.errors import ConfigError


@pytest.fixture
def run(tmp_path):
    teacher = tmp_path / "good.onnx"
    teacher.write_bytes(b"graph")
    run = tmp_path / "runs" / "00001-s-good_onnx"
    run.mkdir(parents=True)
    (run / INPUTS_FILE).write_text(json.dumps({"teacher": {"sha256": _sha256(teacher)}}))
    return run, {"teacher": str(teacher), "teacher_checkpoint": ""}


def test_the_recorded_teacher_resumes(run):
    check_inputs_unchanged(*run)


@pytest.mark.parametrize(
    "text",
    [
        '{"teacher": {"sha256": 5}}',
        '{"teacher": {"sha256": null}}',
        '{"teacher": {"sha256": "../../etc/passwd"}}',
        '{"evil": {"sha256": "%s"}}',
        '{"teacher": {"sha256": "%s"}, "student": {"sha256": "%s"}}',
        "[" * 100_000 + "]" * 100_000,
    ],
    ids=["sha-int", "sha-null", "sha-path", "unknown-key", "extra-key", "deep"],
)
def test_an_edited_inputs_json_is_unreadable_not_a_misleading_line(run, text):
    folder, saved = run
    digest = _sha256(Path(saved["teacher"]))
    (folder / INPUTS_FILE).write_text(text.replace("%s", digest))
    with pytest.raises(ConfigError, match="inputs.json is unreadable: the run cannot tell whether its teacher changed"):
        check_inputs_unchanged(folder, saved)


def test_an_emptied_or_replaced_inputs_json_does_not_skip_the_check(run):
    folder, saved = run
    (folder / INPUTS_FILE).write_text("{}")  # the teacher's digest deleted: the swap check would be skipped
    with pytest.raises(ConfigError, match="records no digest of the teacher file .*good.onnx"):
        check_inputs_unchanged(folder, saved)
    (folder / INPUTS_FILE).unlink()
    (folder / INPUTS_FILE).mkdir()
    with pytest.raises(ConfigError, match="inputs.json is unreadable"):
        check_inputs_unchanged(folder, saved)
