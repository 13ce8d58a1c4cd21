"""`stylelite bench`: --process-size resizes the clip for every model; options that do not apply are errors."""

import json

from tests.conftest import run_cli


def test_process_size_times_every_model_at_that_size(student_onnx, clip_path):
    proc = run_cli("bench", str(student_onnx), "--clip", str(clip_path), "--process-size", "40x32", "--json")
    assert proc.returncode == 0, proc.stderr[-1500:]
    (record,) = json.loads(proc.stdout)
    assert record["status"].startswith("ok") and (record["width"], record["height"]) == (40, 32)


def test_options_that_do_not_apply_are_one_line_errors(student_onnx, clip_path):
    for extra, message in (
        (("--device", "local", "--providers", "cpu"), "--providers: engine options apply on this machine"),
        (("--pipeline", "--process-size", "40x32"), "--process-size applies to the benchmark on this machine"),
        (("--no-xnnpack",), "--no-xnnpack applies to LiteRT only; student.onnx runs on onnxruntime"),
    ):
        proc = run_cli("bench", str(student_onnx), "--clip", str(clip_path), *extra)
        assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
