"""`stylelite run` under faults a user can cause: every one ends in one clear line, nothing the user owns
is destroyed, no hidden temporary file is left, and the good part of the work is kept (issue 15).

Torch-free: only the committed small student (tests/data/student.onnx) and files made here.
"""

from __future__ import annotations

import errno
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from stylelite.cli.main import main
from stylelite.runtime.errors import ExportError, InputError
from tests.conftest import make_photo

FSIZE_LIMIT = 8 * 1024  # `ulimit -f 8`: less than the outputs below take


def stylelite(*args: str, fsize: int | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """`stylelite ARGS` in a fresh process, optionally under a file-size limit (SIGXFSZ ignored, as Python does)."""

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    exe = Path(sys.executable).with_name("stylelite")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "stylelite"]
    return subprocess.run(
        cmd + list(args),
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
        preexec_fn=limit if fsize is not None else None,
    )


def run_main(capsys, *args: str) -> tuple[int, str]:
    """`stylelite ARGS` in this process: (exit code, stderr)."""
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def one_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def noise_image(path: Path, h: int = 48, w: int = 64, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    cv2.imwrite(str(path), rng.integers(0, 256, (h, w, 3), dtype=np.uint8))
    return path


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


# -- 2: folder outputs whose names collide


def test_folder_inputs_with_the_same_stem_keep_every_output(tmp_path, student_onnx, capsys):
    src = tmp_path / "photos"
    src.mkdir()
    for i, name in enumerate(("a.jpg", "a.png", "b.png")):
        noise_image(src / name, seed=i)
    out = tmp_path / "styled"
    code, err = run_main(capsys, "run", str(student_onnx), "-i", str(src), "-o", str(out), "--no-progress")
    assert code == 0, err
    # a stem shared by several inputs keeps the input's whole name; a unique stem gets stem.png
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg.png", "a.png.png", "b.png"]
    a_jpg, a_png = cv2.imread(str(out / "a.jpg.png")), cv2.imread(str(out / "a.png.png"))
    assert a_jpg.shape == (48, 64, 3) and not np.array_equal(a_jpg, a_png)


def test_output_names_are_unique_or_refused():
    from stylelite.runtime.sinks import folder_output_names

    assert folder_output_names(["x.jpg", "y.png"]) == {"x.jpg": "x.png", "y.png": "y.png"}
    assert folder_output_names(["a.jpg", "a.png"]) == {"a.jpg": "a.jpg.png", "a.png": "a.png.png"}
    with pytest.raises(InputError, match=r"a\.jpg\.png.*a\.jpg.*rename"):
        folder_output_names(["a.jpg", "a.jpg.png", "a.png"])


# -- 3: the output is the input


def test_output_that_is_the_input_folder_or_file_is_refused(tmp_path, student_onnx, clip_path, capsys):
    src = tmp_path / "photos"
    src.mkdir()
    noise_image(src / "a.png")
    noise_image(src / "b.jpg", seed=1)
    before = {p.name: p.read_bytes() for p in src.iterdir()}
    code, err = run_main(capsys, "run", str(student_onnx), "-i", str(src), "-o", str(src), "--no-progress")
    assert code == 1 and "is the input" in one_line(err)
    code, err = run_main(capsys, "run", str(student_onnx), "-i", str(src), "-o", f"{src}/./", "--no-progress")
    assert code == 1 and "is the input" in one_line(err)
    code, err = run_main(
        capsys, "run", str(student_onnx), "-i", str(src / "a.png"), "-o", str(src / "a.png"), "--no-progress"
    )
    assert code == 1 and "a.png is the input" in one_line(err)
    assert {p.name: p.read_bytes() for p in src.iterdir()} == before  # untouched, nothing added
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(clip_path.read_bytes())
    code, err = run_main(capsys, "run", str(student_onnx), "-i", str(clip), "-o", str(clip), "--no-progress")
    assert code == 1 and "clip.mp4 is the input" in one_line(err)
    assert clip.read_bytes() == clip_path.read_bytes() and hidden(tmp_path) == []


# -- 4 and 20: full disk or file-size limit while writing


def test_file_size_limit_during_video_output_is_one_line_and_leaves_nothing(tmp_path, student_onnx):
    from stylelite.runtime.video import write_video

    rng = np.random.default_rng(0)
    clip = write_video(tmp_path / "clip.mp4", [rng.integers(0, 256, (240, 320, 3), np.uint8) for _ in range(20)], 10.0)
    work = tmp_path / "work"
    work.mkdir()
    (work / "x.mp4").write_bytes(b"the user's old file")
    proc = stylelite(
        "run", str(student_onnx), "-i", str(clip), "-o", "x.mp4", "--no-progress", fsize=FSIZE_LIMIT, cwd=work
    )
    line = one_line(proc.stderr)
    assert proc.returncode == 1 and "file-size limit" in line and "x.mp4" in line and ".x." not in line
    assert sorted(p.name for p in work.iterdir()) == ["x.mp4"]  # no hidden temporary file
    assert (work / "x.mp4").read_bytes() == b"the user's old file"  # not destroyed


def test_file_size_limit_while_writing_an_image_names_the_real_output(tmp_path, student_onnx):
    img = noise_image(tmp_path / "big.png", 400, 480)
    work = tmp_path / "work"
    work.mkdir()
    proc = stylelite(
        "run", str(student_onnx), "-i", str(img), "-o", "out.png", "--no-progress", fsize=FSIZE_LIMIT, cwd=work
    )
    line = one_line(proc.stderr)
    assert proc.returncode == 1 and "file-size limit" in line and "out.png" in line
    assert "unsupported suffix" not in line and ".out.png." not in line
    assert list(work.iterdir()) == []


def test_write_errors_say_what_happened_and_name_the_real_output(tmp_path):
    from stylelite.runtime.files import write_error

    full = write_error(OSError(errno.ENOSPC, "No space left on device"), tmp_path / "out.png")
    assert isinstance(full, InputError) and str(full).startswith(
        f"writing {tmp_path / 'out.png'} failed: the disk is full"
    )
    assert "file-size limit" in str(write_error(OSError(errno.EFBIG, "File too large"), "x.mp4"))
    assert "read-only" in str(write_error(OSError(errno.EROFS, "Read-only file system"), "x.mp4"))


def test_disk_full_writing_a_frame_file_is_one_line(tmp_path, monkeypatch):
    from stylelite.runtime import files
    from stylelite.runtime.video import write_image

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(files.os, "replace", no_space)
    with pytest.raises(InputError, match=r"out\.png failed: the disk is full"):
        write_image(tmp_path / "out.png", np.zeros((8, 8, 3), np.uint8))
    assert list(tmp_path.iterdir()) == []


# -- 5: an output folder that cannot be written


def test_unwritable_output_is_one_line_before_any_work(tmp_path, student_onnx, clip_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    for out in (blocker / "x.mp4", blocker / "frames", blocker / "deeper" / "x.png"):
        src = clip_path if out.suffix != ".png" else noise_image(tmp_path / "p.png")
        code, err = run_main(capsys, "run", str(student_onnx), "-i", str(src), "-o", str(out), "--no-progress")
        line = one_line(err)
        assert code == 1 and "cannot write" in line and str(blocker) in line and "not a folder" in line, line
    assert blocker.read_text() == "a file, not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_is_one_line(tmp_path, student_onnx, clip_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, err = run_main(capsys, "run", str(student_onnx), "-i", str(clip_path), "-o", str(ro / "x.mp4"))
        assert code == 1 and "cannot write" in one_line(err) and str(ro) in err
    finally:
        ro.chmod(0o755)


# -- 8: a graph that does not match its metadata


def test_onnx_whose_input_does_not_match_its_metadata_is_refused_at_load(tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.metadata import ArtifactMetadata

    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, ["height", "width", 3])  # rank 3, HWC
    y = helper.make_tensor_value_info("stylized", TensorProto.FLOAT, ["height", "width", 3])
    graph = helper.make_graph([helper.make_node("Identity", ["image"], ["stylized"])], "g", [x], [y])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for k, v in ArtifactMetadata("mobilegen_s_025").as_props().items():
        model.metadata_props.add(key=k, value=v)
    path = tmp_path / "rank3.onnx"
    onnx.save(model, str(path))
    with pytest.raises(ExportError, match=r"rank3\.onnx: its metadata says NCHW .*1x3xHxW.* graph's input image is "):
        load_engine(path)


def test_input_shape_check_covers_nhwc_engines():
    from stylelite.runtime.engines.base import check_input_shape
    from stylelite.runtime.metadata import ArtifactMetadata

    meta = ArtifactMetadata("m", height=64, width=48)
    check_input_shape("m.tflite", meta, [1, 64, 48, 3], layout="NHWC")
    check_input_shape("m.tflite", meta, [1, -1, -1, 3], layout="NHWC")
    for bad in ([1, 64, 48], [1, 3, 64, 48], [1, 32, 48, 3]):
        with pytest.raises(ExportError, match=r"m\.tflite: its metadata says"):
            check_input_shape("m.tflite", meta, bad, layout="NHWC")


# -- 9 and 22: option bounds at parse time


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--process-size", "100000x100000"), "too large"),
        (("--max-frames", "0"), "--max-frames"),
        (("--max-frames", "-3"), "--max-frames"),
        (("--threads", "-1"), "--threads"),
    ],
)
def test_out_of_range_options_are_usage_errors(tmp_path, student_onnx, clip_path, capsys, args, message):
    code, err = run_main(capsys, "run", str(student_onnx), "-i", str(clip_path), "-o", str(tmp_path / "o.mp4"), *args)
    assert code == 2 and message in err.splitlines()[-1] and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_run_config_bounds_hold_for_the_python_api():
    from stylelite.runtime.errors import ConfigError
    from stylelite.runtime.stylize import RunConfig

    with pytest.raises(ConfigError, match="max_frames"):
        RunConfig(max_frames=0)
    with pytest.raises(ConfigError, match="8192"):
        RunConfig(process_size=(100000, 100000))


# -- 18: SIGTERM keeps what was written, as Ctrl+C does


def test_sigterm_keeps_a_playable_recording_and_no_temporary(tmp_path, student_onnx):
    from stylelite.runtime.video import write_video

    clip = write_video(tmp_path / "long.mp4", [make_photo(72, 96, seed=i % 5) for i in range(200)], fps=20.0)
    work = tmp_path / "work"
    work.mkdir()
    exe = Path(sys.executable).with_name("stylelite")
    proc = subprocess.Popen(
        [str(exe), "run", str(student_onnx), "-i", str(clip), "-o", "rec.mp4", "--realtime", "--no-progress"],
        stderr=subprocess.PIPE,
        text=True,
        cwd=work,
    )
    time.sleep(4.0)  # start-up, then about a second of 20 fps "camera"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err[-1500:]
    assert "stopped early: terminated" in err and "Traceback" not in err
    assert sorted(p.name for p in work.iterdir()) == ["rec.mp4"]
    cap = cv2.VideoCapture(str(work / "rec.mp4"))
    n = 0
    while cap.read()[0]:
        n += 1
    assert 0 < n < 200
    assert f"the {n} frame(s) before it were written" in err  # the count said is the count in the file


# -- 19: unreadable entries in a folder


def test_unreadable_folder_entries_are_skipped_and_listed(tmp_path, student_onnx, capsys):
    src = tmp_path / "photos"
    src.mkdir()
    (src / "0_broken.png").write_bytes(b"not an image at all")  # sorted first
    noise_image(src / "a.png")
    (src / "b_empty.jpg").write_bytes(b"")
    (src / "c_dangling.png").symlink_to(tmp_path / "gone.png")
    (src / "d_folder.png").mkdir()
    noise_image(src / "e.jpg", seed=1)
    out = tmp_path / "styled"
    code, err = run_main(capsys, "run", str(student_onnx), "-i", str(src), "-o", str(out), "--no-progress")
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "e.png"]  # every good one kept
    line = one_line(err)
    assert "skipped 4 unreadable" in line
    for name in ("0_broken.png", "b_empty.jpg", "c_dangling.png", "d_folder.png"):
        assert name in line


def test_a_folder_with_no_readable_image_is_one_line(tmp_path, student_onnx, capsys):
    src = tmp_path / "photos"
    src.mkdir()
    (src / "a.png").write_bytes(b"junk")
    code, err = run_main(capsys, "run", str(student_onnx), "-i", str(src), "-o", str(tmp_path / "out"), "--no-progress")
    assert code == 1 and "no readable image" in one_line(err) and "a.png" in err
    assert not (tmp_path / "out").exists()


# -- 21: frames too large for the memory


def test_frame_too_large_for_memory_stops_with_the_process_size_hint(tmp_path, student_onnx):
    from stylelite.runtime.stylize import run

    img = noise_image(tmp_path / "big.png", 1024, 1024)
    with pytest.raises(InputError, match=r"big\.png is 1024x1024: .* about \d+ MB .* --process-size \d+x\d+"):
        run(student_onnx, img, tmp_path / "out.png", memory_limit_mb=100, progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.png"]
    # the suggested size fits
    from stylelite.runtime.engines import load_engine

    engine = load_engine(student_onnx)
    assert engine.activation_bytes(1024, 1024) > 100e6 > engine.activation_bytes(512, 512)
    res = run(student_onnx, img, tmp_path / "out.png", memory_limit_mb=100, process_size=(512, 512), progress=False)
    assert res.frames == 1 and cv2.imread(str(tmp_path / "out.png")).shape == (1024, 1024, 3)


def test_frame_too_large_for_memory_is_one_line_on_the_command_line(tmp_path, student_onnx, capsys):
    img = noise_image(tmp_path / "big.png", 1024, 1024)
    out = tmp_path / "out.png"
    code, err = run_main(
        capsys, "run", str(student_onnx), "-i", str(img), "-o", str(out), "--memory-limit", "100", "--no-progress"
    )
    line = one_line(err)
    assert code == 1 and "big.png is 1024x1024" in line and "--process-size" in line
    assert not out.exists() and hidden(tmp_path) == []
