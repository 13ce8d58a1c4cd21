"""Export faults a user can cause: each ends in one line (exit 1), no artifact and no temp file is left,
and nothing already in the output folder is touched."""

from __future__ import annotations

import errno
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from stylelite.cli.main import main
from stylelite.distill.training_state import save_weights
from stylelite.models.registry import create_student

STUDENT = "mobilegen_s_025"


def _weights(path: Path, fill=None) -> Path:
    """A stylelite student weights file; `fill` overwrites every parameter (nan, inf, 0.0)."""
    torch.manual_seed(0)
    net = create_student(STUDENT)
    if fill is not None:
        with torch.no_grad():
            for p in net.parameters():
                p.fill_(fill)
    save_weights(path, net, metadata={"model": STUDENT})
    return path


def _export(capsys, *argv: str) -> tuple[int, str]:
    code = main(["export", *argv])
    err = capsys.readouterr().err.strip()
    return code, err


def _one_line(err: str) -> str:
    assert err.count("\n") == 0 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("fill", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused(tmp_path, capsys, fill):
    weights = _weights(tmp_path / "bad_student.safetensors")
    from safetensors.torch import load_file, save_file

    sd = load_file(str(weights))
    key = next(k for k, v in sd.items() if v.is_floating_point() and v.numel() > 1)
    sd[key][0] = fill  # one bad value is enough
    save_file(sd, str(weights), metadata={"model": STUDENT})
    code, err = _export(capsys, str(weights), "-o", str(tmp_path / "m.onnx"))
    assert code == 1
    assert "non-finite" in _one_line(err) and key in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad_student.safetensors"]


def test_constant_output_is_refused(tmp_path, capsys):
    weights = _weights(tmp_path / "zero_student.safetensors", fill=0.0)  # outputs one flat colour
    code, err = _export(capsys, str(weights), "-o", str(tmp_path / "m.onnx"))
    assert code == 1
    assert "constant" in _one_line(err)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["zero_student.safetensors"]


def test_another_exports_temp_file_is_left_alone(tmp_path, capsys):
    """Two exports to one path each write their own temporary file."""
    weights = _weights(tmp_path / "s.safetensors")
    other = tmp_path / ".m.unverified.onnx"  # the temp name a concurrent export used to share
    other.write_bytes(b"another export's unfinished artifact")
    code, err = _export(capsys, str(weights), "-o", str(tmp_path / "m.onnx"))
    assert code == 0, err
    assert other.read_bytes() == b"another export's unfinished artifact"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".m.unverified.onnx", "m.onnx", "s.safetensors"]


def test_full_disk_is_one_line_naming_the_output(tmp_path, capsys, monkeypatch):
    import onnx

    weights = _weights(tmp_path / "s.safetensors")
    out = tmp_path / "out" / "m.onnx"
    real_save = onnx.save

    def full_disk(proto, f, *a, **k):
        Path(f).write_bytes(b"half an artifact")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(onnx, "save", full_disk)
    code, err = _export(capsys, str(weights), "-o", str(out))
    monkeypatch.setattr(onnx, "save", real_save)
    assert code == 1
    assert "no space left" in _one_line(err).lower() and str(out) in err
    assert list(out.parent.iterdir()) == []


def test_file_size_limit_leaves_no_partial_file(tmp_path):
    """A real write failure (RLIMIT_FSIZE: the kernel refuses the write) in a fresh process."""
    weights = _weights(tmp_path / "s.safetensors")
    out = tmp_path / "out" / "m.onnx"
    out.parent.mkdir()

    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))  # the student is ~150 kB

    proc = subprocess.run(
        [sys.executable, "-m", "stylelite", "export", str(weights), "-o", str(out)],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        env={**os.environ, "OMP_NUM_THREADS": "1"},
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and str(out) in err[0], proc.stderr
    assert list(out.parent.iterdir()) == []


def test_unwritable_output_folder_fails_before_loading(tmp_path, capsys, monkeypatch):
    import stylelite.models.load as load

    def never(*a, **k):
        raise AssertionError("the model was loaded before the output folder was checked")

    monkeypatch.setattr(load, "load_model", never)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    t0 = time.perf_counter()
    code, err = _export(capsys, STUDENT, "-o", str(blocker / "m.onnx"))
    assert code == 1 and "not a folder" in _one_line(err) and str(blocker) in err
    assert time.perf_counter() - t0 < 2
    (tmp_path / "dir.onnx").mkdir()
    code, err = _export(capsys, STUDENT, "-o", str(tmp_path / "dir.onnx"))
    assert code == 1 and "is a folder" in _one_line(err)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_fails_before_loading(tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, err = _export(capsys, STUDENT, "-o", str(ro / "m.onnx"))
    finally:
        ro.chmod(0o755)
    assert code == 1 and "cannot write" in _one_line(err) and str(ro) in err


def test_folder_refusing_new_files_fails_before_loading(tmp_path, capsys, monkeypatch):
    """What a read-only folder does to any user (root included): creating a file there fails."""
    import tempfile

    import stylelite.models.load as load

    real_mkstemp = tempfile.mkstemp

    def read_only(*a, **k):
        if str(k.get("dir", "")) == str(tmp_path / "ro"):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_mkstemp(*a, **k)

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    monkeypatch.setattr(load, "load_model", lambda *a, **k: pytest.fail("loaded before the folder was checked"))
    (tmp_path / "ro").mkdir()
    code, err = _export(capsys, STUDENT, "-o", str(tmp_path / "ro" / "m.onnx"))
    assert code == 1 and "cannot write" in _one_line(err) and "Permission denied" in err
    assert list((tmp_path / "ro").iterdir()) == []
