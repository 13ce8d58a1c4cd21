"""The demo end to end, shrunk (the full-size demo is the README's first command)."""

import json

from distill.demo import demo


def test_demo_writes_the_report(tmp_path):
    report = demo(
        out=tmp_path / "demo",
        runs=tmp_path / "runs",
        student="mobilegen_s_025",
        steps=3,
        frames=4,
        clip_size=(64, 48),
        cache_size=4,
        crop=64,
        latency_size="96x64",
        progress=False,
    )
    out = report.parent
    for name in (
        "report.md",
        "report.json",
        "flicker.png",
        "latency.png",
        "side_by_side.gif",
        "side_by_side.mp4",
        "student.onnx",
        "teacher.onnx",
        "stylized.mp4",
        "clip.mp4",
    ):
        assert (out / name).exists(), name
    data = json.loads((out / "report.json").read_text())
    teacher, student = data["records"]
    assert teacher["model"] == "cyclegan_r9" and student["model"] == "mobilegen_s_025"
    assert teacher["gmacs_256"] > 40 * student["gmacs_256"]
    assert student["fidelity_psnr_db"] > 0 and teacher["reference"] == teacher["artifact"]
    text = report.read_text()
    assert "side_by_side.gif" in text and "floor" in text
