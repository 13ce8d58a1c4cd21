"""`stylelite run` as typed, on every kind of input and on bad input: audio kept, streams that stop,
truncated files, grey and RGBA video, models whose size does not fit, cameras that are not there."""

from __future__ import annotations

import http.server
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.conftest import make_photo, run_cli


def make_clip_with_audio(path: Path, frames: int = 12, fps: int = 10, size=(96, 72)) -> Path:
    """An MPEG-4 video with an AAC sine tone (PyAV), the kind of file a phone records."""
    import av

    w, h = size
    with av.open(str(path), "w") as out:
        vs = out.add_stream("mpeg4", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        aus = out.add_stream("aac", rate=16000, layout="mono")
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(make_photo(h, w, seed=i), format="rgb24")
            for p in vs.encode(frame):
                out.mux(p)
        n, t = 1024, 0
        while t < 16000 * frames / fps:
            tone = (0.3 * np.sin(2 * np.pi * 440 * (np.arange(n) + t) / 16000)).astype(np.float32)[None]
            af = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            af.sample_rate, af.pts = 16000, t
            for p in aus.encode(af):
                out.mux(p)
            t += n
        for s in (vs, aus):
            for p in s.encode():
                out.mux(p)
    return path


def audio_packets(path: Path) -> list[bytes]:
    import av

    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(audio=0) if p.size] if c.streams.audio else []


def video_frames(path: Path) -> list[np.ndarray]:
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            return frames
        frames.append(f)


def test_audio_track_is_copied_unchanged_and_frame_rate_kept(tmp_path, student_onnx):
    src = make_clip_with_audio(tmp_path / "phone.mp4")
    out = tmp_path / "styled.mp4"
    proc = run_cli("run", str(student_onnx), "-i", str(src), "-o", str(out))
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert "aac audio copied" in proc.stdout
    assert audio_packets(out) == audio_packets(src) and len(audio_packets(src)) > 5
    assert len(video_frames(out)) == 12
    assert cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FPS) == pytest.approx(10.0)
    proc = run_cli("run", str(student_onnx), "-i", str(src), "-o", str(tmp_path / "mute.mp4"), "--no-audio")
    assert proc.returncode == 0 and audio_packets(tmp_path / "mute.mp4") == []


def test_audio_that_the_container_cannot_hold_is_refused_before_any_work(tmp_path, student_onnx):
    import av

    src = tmp_path / "pcm.mkv"
    with av.open(str(src), "w") as out:  # 8-bit PCM (old camcorders): fine in MKV, not allowed in MP4
        vs = out.add_stream("mjpeg", rate=10)
        vs.width, vs.height, vs.pix_fmt = 96, 72, "yuvj420p"
        aus = out.add_stream("pcm_u8", rate=8000, layout="mono")
        for i in range(5):
            for p in vs.encode(av.VideoFrame.from_ndarray(make_photo(72, 96, seed=i), format="rgb24")):
                out.mux(p)
        af = av.AudioFrame.from_ndarray(np.full((1, 4000), 128, np.uint8), format="u8", layout="mono")
        af.sample_rate, af.pts = 8000, 0
        for s, f in ((aus, af), (aus, None), (vs, None)):
            for p in s.encode(f):
                out.mux(p)
    proc = run_cli("run", str(student_onnx), "-i", str(src), "-o", str(tmp_path / "x.mp4"))
    assert proc.returncode == 1 and "pcm_u8 audio" in proc.stderr and ".mkv" in proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "x.mp4").exists()
    proc = run_cli("run", str(student_onnx), "-i", str(src), "-o", str(tmp_path / "x.mkv"))
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert audio_packets(tmp_path / "x.mkv") == audio_packets(src)


class MjpegCamera:
    """An IP camera on 127.0.0.1: an MJPEG stream over HTTP that sends `frames` frames and then hangs up."""

    def __init__(self, frames: int) -> None:
        n = frames

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                for i in range(n):
                    jpg = cv2.imencode(".jpg", make_photo(72, 96, seed=i))[1].tobytes()
                    head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpg)}\r\n\r\n".encode()
                    self.wfile.write(head + jpg + b"\r\n")
                    self.wfile.flush()
                    time.sleep(0.01)

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cam.mjpg"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_stream_that_stops_midway_leaves_a_playable_file(tmp_path, student_onnx):
    cam = MjpegCamera(frames=15)
    try:
        out = tmp_path / "cam.mp4"
        proc = run_cli("run", str(student_onnx), "-i", cam.url, "-o", str(out), "--no-progress")
    finally:
        cam.close()
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert "stopped early: the stream stopped after 15 frames" in proc.stderr
    assert len(video_frames(out)) == 15


SYSTEM_PYTHON = "/usr/bin/python3"  # Debian's, where python3-gi lives


def start_rtsp_server(frames: int) -> tuple[subprocess.Popen, str]:
    """tests/runtime/rtsp_server.py on a free port; skips the test where GStreamer's RTSP server is not installed."""
    import socket

    probe = "import gi; gi.require_version('GstRtspServer', '1.0'); from gi.repository import GstRtspServer"
    if not Path(SYSTEM_PYTHON).exists() or subprocess.run([SYSTEM_PYTHON, "-c", probe], capture_output=True).returncode:
        pytest.skip("needs Debian's python3-gi and gir1.2-gst-rtsp-server-1.0 (.ci/run installs them)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [SYSTEM_PYTHON, str(Path(__file__).with_name("rtsp_server.py")), str(port), str(frames), "96", "72", "10"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    if server.stdout.readline().strip() != "ready":
        server.kill()
        pytest.fail(f"rtsp server did not start: {server.stderr.read()[-500:]}")
    return server, f"rtsp://127.0.0.1:{port}/cam"


def test_rtsp_stream_to_a_playable_file(tmp_path, student_onnx):
    """A real RTSP server (gst-rtsp-server) sends 30 frames at 10 fps and ends the stream."""
    server, url = start_rtsp_server(frames=30)
    try:
        out = tmp_path / "rtsp.mp4"
        proc = run_cli("run", str(student_onnx), "-i", url, "-o", str(out), "--no-progress", "--json")
    finally:
        server.kill()
        server.wait()
    assert proc.returncode == 0, proc.stderr[-1500:]
    res = json.loads(proc.stdout)
    assert "stopped early: the stream stopped after" in proc.stderr and "Traceback" not in proc.stderr
    frames = video_frames(out)
    assert len(frames) == res["frames"] >= 25 and frames[0].shape == (72, 96, 3)  # RTP may lose the first
    assert cv2.VideoCapture(str(out)).get(cv2.CAP_PROP_FPS) == pytest.approx(10.0)  # the stream's rate kept


def test_unreachable_stream_is_one_line(tmp_path, student_onnx):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = run_cli("run", str(student_onnx), "-i", f"http://127.0.0.1:{port}/cam.mjpg", "-o", str(tmp_path / "o.mp4"))
    assert proc.returncode == 1 and "cannot open stream" in proc.stderr and "Traceback" not in proc.stderr


def test_truncated_video_keeps_what_it_had(tmp_path, student_onnx):
    from stylelite.runtime.video import write_video

    full = write_video(tmp_path / "full.avi", [make_photo(72, 96, seed=i) for i in range(20)], fps=10.0)
    data = full.read_bytes()
    cut = tmp_path / "cut.avi"
    cut.write_bytes(data[: len(data) // 2])  # a copy that was interrupted half way
    out = tmp_path / "out.mp4"
    proc = run_cli("run", str(student_onnx), "-i", str(cut), "-o", str(out), "--no-progress")
    assert proc.returncode == 0, proc.stderr[-1500:]
    n = len(video_frames(out))
    assert 0 < n < 20 and "stopped early" in proc.stderr and "truncated or corrupt" in proc.stderr


def test_grey_video_and_rgba_images_are_stylized_as_rgb(tmp_path, student_onnx):
    grey = tmp_path / "grey.avi"
    w = cv2.VideoWriter(str(grey), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (96, 72), isColor=False)
    for i in range(6):
        w.write(cv2.cvtColor(make_photo(72, 96, seed=i), cv2.COLOR_RGB2GRAY))
    w.release()
    proc = run_cli("run", str(student_onnx), "-i", str(grey), "-o", str(tmp_path / "g.mp4"))
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert len(video_frames(tmp_path / "g.mp4")) == 6
    rgba_dir = tmp_path / "rgba"
    rgba_dir.mkdir()
    for i in range(2):
        img = np.dstack([make_photo(40, 50, seed=i), np.full((40, 50), 128, np.uint8)])
        cv2.imwrite(str(rgba_dir / f"p{i}.png"), img)
    proc = run_cli("run", str(student_onnx), "-i", str(rgba_dir), "-o", str(tmp_path / "rgb_out"))
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert cv2.imread(str(tmp_path / "rgb_out" / "p0.png"), cv2.IMREAD_UNCHANGED).shape == (40, 50, 3)


@pytest.fixture(scope="module")
def fixed_onnx(tmp_path_factory) -> Path:
    pytest.importorskip("torch")  # the static-size export needs the train extra
    from stylelite.export.api import export_model

    return export_model(
        "mobilegen_s_025", tmp_path_factory.mktemp("fixed") / "fixed64.onnx", dynamic=False, sample_size=64
    ).path


def test_model_whose_size_does_not_fit_says_how_to_fix_it(tmp_path, fixed_onnx, clip_path):
    out = tmp_path / "o.mp4"
    proc = run_cli("run", str(fixed_onnx), "-i", str(clip_path), "-o", str(out))
    assert proc.returncode == 1 and "takes 64x64 frames" in proc.stderr and "--process-size 64x64" in proc.stderr
    assert "Traceback" not in proc.stderr and not out.exists()
    proc = run_cli("run", str(fixed_onnx), "-i", str(clip_path), "-o", str(out), "--process-size", "64x64", "--json")
    assert proc.returncode == 0, proc.stderr[-1500:]
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    assert res["frames"] == 8 and res["stats"]["process_size"] == [64, 64]
    assert video_frames(out)[0].shape == (72, 96, 3)  # back at the input's size


def test_missing_inputs_and_devices_are_one_line(tmp_path, student_onnx):
    cases = [
        (("-i", str(tmp_path / "nope.mp4"), "-o", str(tmp_path / "o.mp4")), "not found"),
        (("-i", "7", "-o", str(tmp_path / "o.mp4")), "no camera at 7"),
        (("-i", str(tmp_path), "-o", str(tmp_path / "o.png")), "holds no images"),
        (("-i", str(tmp_path / "a.txt"), "-o", str(tmp_path / "o.mp4")), "not found"),
    ]
    for args, message in cases:
        proc = run_cli("run", str(student_onnx), *args)
        assert proc.returncode == 1 and message in proc.stderr and "Traceback" not in proc.stderr, (args, proc.stderr)


def test_show_without_a_display_is_one_line(tmp_path, student_onnx, clip_path):
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    exe = Path(sys.executable).with_name("stylelite")
    proc = subprocess.run(
        [str(exe), "run", str(student_onnx), "-i", str(clip_path), "--show"], capture_output=True, text=True, env=env
    )
    assert proc.returncode == 1 and "needs a display" in proc.stderr and "Traceback" not in proc.stderr


def test_style_options_on_a_single_style_model(tmp_path, student_onnx, clip_path):
    proc = run_cli("run", str(student_onnx), "-i", str(clip_path), "-o", str(tmp_path / "o.mp4"), "--style", "candy")
    assert proc.returncode == 1 and "single style" in proc.stderr
    img = tmp_path / "a.png"
    cv2.imwrite(str(img), make_photo(40, 48))
    proc = run_cli("run", str(student_onnx), "-i", str(img), "-o", str(tmp_path / "b.png"), "--strength", "0")
    assert proc.returncode == 0, proc.stderr[-1500:]
    assert np.array_equal(cv2.imread(str(img)), cv2.imread(str(tmp_path / "b.png")))  # strength 0: the input


def _sigint_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_keeps_a_playable_recording(tmp_path, student_onnx):
    from stylelite.runtime.video import write_video

    # 30 s of 20 fps "camera": long enough that a slow start-up on a loaded machine cannot reach its end first
    clip = write_video(tmp_path / "long.mp4", [make_photo(72, 96, seed=i % 5) for i in range(600)], fps=20.0)
    out = tmp_path / "rec.mp4"
    exe = Path(sys.executable).with_name("stylelite")
    proc = subprocess.Popen(
        [str(exe), "run", str(student_onnx), "-i", str(clip), "-o", str(out), "--realtime", "--no-progress"],
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a test run started in the background (`cmd &` in a script) ignores SIGINT, and
        # children inherit that, so Ctrl+C would never reach the run (it wrote all 600 frames, exit 0)
        preexec_fn=_sigint_default,
    )
    deadline = time.monotonic() + 60  # start-up takes seconds on a busy machine: wait for the output to open
    while not [p for p in tmp_path.iterdir() if p.name != "long.mp4"] and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # about a second of 20 fps "camera"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-1500:]
    assert "stopped early: interrupted" in err and "Traceback" not in err
    n = len(video_frames(out))
    assert 0 < n < 600


def test_multistyle_model_picks_and_blends_styles_from_the_command_line(tmp_path, clip_path):
    pytest.importorskip("torch")  # the multistyle export needs the train extra

    from stylelite.export.api import export_model
    from stylelite.runtime.engines import load_engine
    from tests.conftest import multistyle_weights

    multistyle_weights(tmp_path / "ms.safetensors", ["ink", "wash"])
    model = export_model(str(tmp_path / "ms.safetensors"), tmp_path / "multistyle.onnx", sample_size=64).path
    styles = load_engine(model).styles
    assert len(styles) >= 2
    outs = {}
    for name, extra in {
        "a": ("--style", styles[0]),
        "b": ("--style", styles[1]),
        "ab": ("--style", styles[0], "--blend-with", styles[1], "--mix", "0.5"),
        "weak": ("--style", styles[0], "--strength", "0.3"),
    }.items():
        img = tmp_path / "in.png"
        cv2.imwrite(str(img), make_photo(64, 64, seed=3))
        proc = run_cli("run", str(model), "-i", str(img), "-o", str(tmp_path / f"{name}.png"), *extra)
        assert proc.returncode == 0, proc.stderr[-1500:]
        outs[name] = cv2.imread(str(tmp_path / f"{name}.png")).astype(int)
    for other in ("b", "ab", "weak"):
        assert np.abs(outs["a"] - outs[other]).mean() > 1.0, other
    proc = run_cli("run", str(model), "-i", str(clip_path), "-o", str(tmp_path / "x.mp4"), "--style", "nope")
    assert proc.returncode == 1 and "unknown style 'nope'" in proc.stderr and styles[0] in proc.stderr
