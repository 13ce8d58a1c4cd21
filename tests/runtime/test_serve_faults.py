"""`stylelite serve` faults (issue 15, items 6, 10, 11): source switches cannot pile up clip players,
nonsense upload limits and missing TLS files are one line before anything is served. No torch here."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
import time

import pytest

from stylelite.runtime.errors import ConfigError
from tests.conftest import ROOT

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install -e '.[serve]'")


def _serve(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`stylelite serve ARGS` in a fresh process (a server that starts anyway is killed at `timeout`)."""
    cmd = [sys.executable, "-m", "stylelite", "serve", *args, "--port", "0"]
    try:
        return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the server started instead of refusing: {exc.stdout!r}")


def _one_line_error(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stdout == "", proc.stdout  # no URL was printed for a server that never ran
    return proc.stderr


# ------------------------------------------------------------------------------------ item 10: upload limits


@pytest.mark.parametrize("flag,value", [("--max-clip-mb", "nan"), ("--max-model-mb", "inf"), ("--max-clip-mb", "1e12")])
def test_nonsense_upload_limits_are_refused_before_serving(student_onnx, flag, value):
    err = _one_line_error(_serve(str(student_onnx), flag, value, timeout=30))
    assert flag in err and "MB" in err


def test_serve_config_refuses_non_finite_or_huge_limits(student_onnx):
    from stylelite.runtime.serve.config import ServeConfig

    for kw in ({"max_clip_mb": math.nan}, {"max_model_mb": math.inf}, {"max_model_mb": 1e9}, {"max_clip_mb": -1.0}):
        with pytest.raises(ConfigError, match=r"--max-(clip|model)-mb"):
            ServeConfig(model=student_onnx, **kw)
    assert ServeConfig(model=student_onnx, max_clip_mb=0, max_model_mb=0.5).max_model_mb == 0.5


# ------------------------------------------------------------------------------------ item 11: TLS files


def test_missing_certificate_files_are_one_line_and_nothing_is_printed(student_onnx, tmp_path):
    err = _one_line_error(_serve(str(student_onnx), "--certfile", "nope.pem", "--keyfile", "nope.key"))
    assert "nope.pem" in err and "not found" in err


def test_a_certificate_that_is_not_pem_is_one_line(student_onnx, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("not a certificate\n")
    key.write_text("not a key\n")
    err = _one_line_error(_serve(str(student_onnx), "--certfile", str(cert), "--keyfile", str(key)))
    assert "cert.pem" in err and "TLS" in err


def test_start_server_checks_the_tls_files_too(student_onnx, tmp_path):
    from stylelite.runtime.serve.config import ServeConfig
    from stylelite.runtime.serve.server import start_server

    config = ServeConfig(model=student_onnx, port=0, certfile=tmp_path / "c.pem", keyfile=tmp_path / "k.pem")
    with pytest.raises(ConfigError, match="c.pem"):
        start_server(config)


# ------------------------------------------------------------------------------------ item 6: source switches


def _live_threads() -> int:
    return threading.active_count()


def test_many_source_switches_keep_threads_bounded_and_the_server_answers(student_onnx, clip_path):
    import httpx
    from websockets.sync.client import connect

    from stylelite.runtime.serve.config import ServeConfig
    from stylelite.runtime.serve.server import start_server
    from stylelite.runtime.serve.wire import encode_jpeg, pack, unpack
    from tests.conftest import make_photo

    server = start_server(ServeConfig(model=student_onnx, clip=clip_path, port=0))
    try:
        base = server.url.split("?")[0]
        ws_url = base.replace("http://", "ws://") + "ws"
        baseline = _live_threads()
        with connect(ws_url, max_size=None) as ws:
            peak = baseline
            for i in range(400):
                ws.send(json.dumps({"type": "source", "source": "clip" if i % 2 == 0 else "camera"}))
                if i % 50 == 0:
                    peak = max(peak, _live_threads())
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                peak = max(peak, _live_threads())
                time.sleep(0.05)
            # one clip player (its thread and the pipeline's stages) and helper threads: not one per switch
            assert peak <= baseline + 16, f"{peak} threads after 400 switches (baseline {baseline})"

            assert httpx.get(base + "api/state", timeout=10).status_code == 200
            ws.send(json.dumps({"type": "source", "source": "camera"}))
            ws.send(pack({"id": 7}, encode_jpeg(make_photo(72, 96), 90)))
            deadline = time.monotonic() + 20
            while True:
                message = ws.recv(timeout=max(deadline - time.monotonic(), 0.1))
                if isinstance(message, bytes) and unpack(message)[0].get("id") == 7:
                    break
        deadline = time.monotonic() + 15
        while _live_threads() > baseline + 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _live_threads() <= baseline + 2, "the clip player outlived its page"
    finally:
        server.stop()
