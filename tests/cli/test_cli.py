"""CLI commands as a user types them, including their error messages."""

import json

import cv2

from tests.conftest import run_cli


def _one_line_error(proc, pattern: str):
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and pattern in lines[0], proc.stderr


def test_help_lists_commands():
    proc = run_cli("--help")
    assert proc.returncode == 0
    for cmd in ("demo", "distill", "export", "run", "bench", "list", "train-teacher"):
        assert cmd in proc.stdout


def test_list_prints_macs_and_params():
    proc = run_cli("list", "students")
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("student")]
    assert len(rows) >= 3
    names = {r.split()[1] for r in rows}
    assert {"mobilegen_s_050", "shufflegen_s_050"} <= names
    assert all(n.split("_")[0].endswith(("gen", "res", "grade")) for n in names)
    assert "GMAC@256" in proc.stdout


def test_list_teachers_shows_model_cards():
    proc = run_cli("list", "teachers", "--cards")
    assert proc.returncode == 0, proc.stderr
    rows = {line.split()[1]: line for line in proc.stdout.splitlines() if line.startswith("teacher")}
    assert {"cyclegan_r9", "pix2pix_unet256", "fast_neural_style", "animegan2"} <= set(rows)
    assert "[0,255] RGB NCHW" in rows["fast_neural_style"] and "[-1,1] RGB NCHW" in rows["animegan2"]
    assert "shipped: cyclegan_r9_bn.cartoon" in rows["cyclegan_r9_bn"]
    assert "licence:" in proc.stdout and "weights:" in proc.stdout


def test_export_run_bench_round_trip(tmp_path, clip_path):
    onnx_path = tmp_path / "artifacts" / "s.onnx"  # a folder that does not exist yet
    proc = run_cli("export", "mobilegen_s_025", "-o", str(onnx_path), "--verify-on", str(clip_path))
    assert proc.returncode == 0, proc.stderr
    assert "PSNR" in proc.stdout and onnx_path.exists()
    assert "verdict" in proc.stdout and " pass" in proc.stdout  # the verification table

    out = tmp_path / "out.mp4"
    proc = run_cli("run", str(onnx_path), "-i", str(clip_path), "-o", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    cap_in, cap_out = cv2.VideoCapture(str(clip_path)), cv2.VideoCapture(str(out))
    for prop in (cv2.CAP_PROP_FRAME_COUNT, cv2.CAP_PROP_FRAME_WIDTH, cv2.CAP_PROP_FRAME_HEIGHT):
        assert cap_in.get(prop) == cap_out.get(prop)

    proc = run_cli(
        "bench",
        str(onnx_path),
        "--clip",
        str(clip_path),
        "--iters",
        "8",
        "--json",
        "--out",
        str(tmp_path / "b.jsonl"),
        "--report",
        str(tmp_path / "rep"),
    )
    assert proc.returncode == 0, proc.stderr
    rec = json.loads(proc.stdout)[0]
    assert rec["latency_ms"]["p50"] > 0 and rec["fps"] > 0 and rec["flicker"] > 0
    assert rec["size_mb"] > 0 and rec["peak_rss_mb"] > 0 and rec["model_memory_mb"] > 0
    assert (tmp_path / "b.jsonl").read_text().count("\n") == 1
    assert (tmp_path / "rep" / "report.md").exists() and (tmp_path / "rep" / "flicker.png").exists()


def test_distill_as_typed(tmp_path):
    from stylelite.runtime.video import write_image
    from tests.conftest import make_photo

    photos = tmp_path / "photos"
    write_image(photos / "a.png", make_photo(80, 96))
    proc = run_cli(
        "distill", "--teacher", "cyclegan_r6", "--random-teacher", "--student", "mobilegen_s_025",
        "--data", str(photos),
        "--steps", "2", "--batch", "2", "--crop", "32", "--cache-size", "2", "--out", str(tmp_path / "runs"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "student weights:" in proc.stdout and "next: stylelite export" in proc.stdout
    assert list((tmp_path / "runs").glob("*/student.safetensors"))


def test_run_folder_to_folder(tmp_path, student_onnx):
    from stylelite.runtime.video import write_image
    from tests.conftest import make_photo

    src = tmp_path / "in"
    write_image(src / "a.png", make_photo(50, 70))
    write_image(src / "b.jpg", make_photo(33, 41, seed=1))
    proc = run_cli("run", str(student_onnx), "-i", str(src), "-o", str(tmp_path / "out"), "--no-progress")
    assert proc.returncode == 0, proc.stderr
    outs = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert outs == ["a.png", "b.png"]
    assert cv2.imread(str(tmp_path / "out" / "b.png")).shape == (33, 41, 3)


def test_missing_model_is_one_line(tmp_path, clip_path):
    _one_line_error(
        run_cli("run", str(tmp_path / "nope.onnx"), "-i", str(clip_path), "-o", "x.mp4"), "model file not found"
    )


def test_corrupt_video_is_one_line(tmp_path, student_onnx):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"garbage" * 100)
    _one_line_error(run_cli("run", str(student_onnx), "-i", str(bad), "-o", str(tmp_path / "o.mp4")), "broken.mp4")
    assert not (tmp_path / "o.mp4").exists()


def test_wrong_checkpoint_is_one_line(tmp_path):
    bad = tmp_path / "latest_net_G.pth"
    bad.write_bytes(b"not a checkpoint")
    _one_line_error(run_cli("export", "cyclegan_r9", "--checkpoint", str(bad)), "latest_net_G.pth")


def test_unknown_model_suggests(tmp_path):
    _one_line_error(run_cli("export", "mobilegen_s_05", "-o", str(tmp_path / "x.onnx")), "did you mean")


def test_usage_error_exits_2():
    assert run_cli("run").returncode == 2
