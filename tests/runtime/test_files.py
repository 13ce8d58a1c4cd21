"""Atomic writes: all or nothing, and a normal file mode."""

import os

import pytest

from stylelite.runtime.files import atomic_path, write_text_atomic


def test_atomic_write_gets_the_umask_mode(tmp_path):
    path = tmp_path / "report.md"
    write_text_atomic(path, "hello")
    umask = os.umask(0)
    os.umask(umask)
    assert (path.stat().st_mode & 0o777) == (0o666 & ~umask)


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(path) as tmp:
            tmp.write_text("half")
            raise RuntimeError("disk full")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["weights.bin"]
