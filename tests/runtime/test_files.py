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


def test_json_lines_stay_strict_and_non_utf8_files_are_one_line(tmp_path):
    import json

    from stylelite.runtime.errors import InputError
    from stylelite.runtime.files import append_jsonl, read_jsonl, read_toml

    append_jsonl(tmp_path / "r.jsonl", {"p50": float("nan"), "per_frame": [1.5, float("inf")], "x": "y"})
    line = (tmp_path / "r.jsonl").read_text().strip()
    assert json.loads(line, parse_constant=lambda c: pytest.fail(f"bare {c} in a JSON line")) == {
        "p50": None, "per_frame": [1.5, None], "x": "y",
    }  # fmt: skip
    (tmp_path / "bad.jsonl").write_bytes(b'{"a": "\xff\xfe"}\n')
    with pytest.raises(InputError, match="not UTF-8"):
        read_jsonl(tmp_path / "bad.jsonl")
    (tmp_path / "bad.toml").write_bytes(b'name = "\xff"\n')
    with pytest.raises(InputError, match="not UTF-8 text .*save the inventory as UTF-8"):
        read_toml(tmp_path / "bad.toml", "inventory", InputError)
