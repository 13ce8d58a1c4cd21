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


def test_several_clips_give_one_row_each_with_colour_difference(student_onnx, clip_path, tmp_path):
    import shutil

    second = tmp_path / "second.mp4"
    shutil.copyfile(clip_path, second)
    proc = run_cli(
        "bench", str(student_onnx), "--clip", str(clip_path), "--clip", str(second),
        "--reference", str(student_onnx), "--json",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-1500:]
    records = json.loads(proc.stdout)
    assert [r["clip"] for r in records] == ["clip.mp4", "second.mp4"]
    assert all(r["fidelity_color_de"] == 0.0 for r in records)  # the model against itself
    table = run_cli("bench", str(student_onnx), "--clip", str(clip_path), "--clip", str(second)).stdout
    assert "clip.mp4" in table and "second.mp4" in table and "color dE" in table
