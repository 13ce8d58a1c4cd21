"""`stylelite search` as a hostile user runs it: a second search in the same folder with other settings, a
truncated teacher export, `-o` naming a file, what a killed search leaves. The folder records what made each
file it reuses (workflows/search_folder.py): other settings are refused in one line, a changed file is named,
leftovers are cleaned by the resumed search."""

from __future__ import annotations

import json

import pytest

from stylelite.runtime.errors import ConfigError, InputError
from stylelite.workflows.search_folder import RECORD, SearchFolder


def test_the_record_reuses_only_what_the_same_settings_made(tmp_path):
    folder = SearchFolder(tmp_path / "s")
    path = folder.out / "models" / "teacher.onnx"
    assert not folder.reusable(path, {"teacher": "a"})  # not made yet
    path.write_bytes(b"onnx bytes")
    folder.made(path, {"teacher": "a", "data": ("world",)})
    again = SearchFolder(tmp_path / "s")
    assert again.reusable(path, {"teacher": "a", "data": ("world",)})
    with pytest.raises(ConfigError, match=r"holds models/teacher.onnx made with teacher 'a', not 'b': give another -o"):
        again.reusable(path, {"teacher": "b", "data": ("world",)})
    path.write_bytes(b"onnx")  # truncated
    with pytest.raises(InputError, match=r"teacher.onnx changed after the search made it \(truncated or edited\)"):
        again.reusable(path, {"teacher": "a", "data": ("world",)})


def test_a_folder_of_a_search_without_a_record_or_a_file_is_refused(tmp_path):
    (tmp_path / "img.png").write_bytes(b"png")
    with pytest.raises(ConfigError, match="-o .*img.png is a file: give a folder"):
        SearchFolder(tmp_path / "img.png")
    (tmp_path / "old" / "models").mkdir(parents=True)
    with pytest.raises(ConfigError, match=f"holds a search's files \\(models\\) but no {RECORD}"):
        SearchFolder(tmp_path / "old")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / RECORD).write_text("[1]")
    with pytest.raises(InputError, match="is unreadable"):
        SearchFolder(tmp_path / "broken")


def test_a_resumed_search_cleans_what_a_kill_left(tmp_path):
    folder = SearchFolder(tmp_path / "s")
    done = folder.out / "runs" / "a" / "00001-a-t"
    done.mkdir(parents=True)
    (done / "student.safetensors").write_bytes(b"w")
    folder.made(done / "student.safetensors", {})
    dead = folder.out / "runs" / "a" / "00002-a-t"
    dead.mkdir()
    (dead / "config.json").write_text("{}")
    temp = folder.out / "models" / ".teacher.x1y2.unverified.onnx"
    temp.write_bytes(b"half")
    (folder.out / ".search.json.abc.tmp").write_text("{")
    mine = folder.out / "runs" / "a" / "notes.txt"
    mine.write_text("kept")
    SearchFolder(tmp_path / "s").clean()
    assert done.is_dir() and not dead.exists() and not temp.exists() and mine.exists()
    assert not list(folder.out.glob(".*.tmp"))


def _argv(tmp_path, clip_path, *extra):
    return [
        "search", "--teacher", "fast_neural_style", "--random-teacher", "--candidates", "shufflegen_t_038",
        "--crop", "32", "--steps", "1", "--batch", "2", "--data", "builtin", "--clip", str(clip_path),
        "--size", "48x32", "--frames", "3", "--iters", "2", "--threads", "1", "-o", str(tmp_path / "s"), *extra,
    ]  # fmt: skip


def test_a_second_search_with_other_settings_or_a_truncated_export_is_one_line(tmp_path, clip_path, capsys):
    from stylelite.cli.main import main

    assert main(_argv(tmp_path, clip_path)) == 0
    capsys.readouterr()
    out = tmp_path / "s"
    (student,) = (out / "runs").rglob("student.safetensors")
    first = student.read_bytes()
    (out / "models" / ".teacher.k1ll.unverified.onnx").write_bytes(b"half an export")
    (student.parent.parent / "00002-dead").mkdir()
    assert main(_argv(tmp_path, clip_path)) == 0  # resumes: nothing trained again, leftovers gone
    capsys.readouterr()
    assert [p.name for p in (out / "runs" / "shufflegen_t_038").iterdir()] == [student.parent.name]
    assert student.read_bytes() == first and not list((out / "models").glob(".*"))
    for extra, named in [
        (("--seed", "5"), "seed 0, not 5"),
        (("--steps", "2"), "steps 1, not 2"),
        (("--frames", "4"), "frames 3, not 4"),
    ]:
        assert main(_argv(tmp_path, clip_path, *extra)) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and named in err and "give another -o folder" in err, err
    argv = _argv(tmp_path, clip_path)
    argv[argv.index("fast_neural_style")] = "cyclegan_r6"
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "models/teacher.onnx made with teacher 'fast_neural_style', not 'cyclegan_r6'" in err
    assert json.loads((out / "search.json").read_text())["config"]["seed"] == 0  # the first search's summary
    teacher = out / "models" / "teacher.onnx"
    teacher.write_bytes(teacher.read_bytes()[:100])
    assert main(_argv(tmp_path, clip_path)) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{teacher} changed after the search made it" in err


def test_search_o_naming_a_file_is_one_line(tmp_path, clip_path, capsys):
    from stylelite.cli.main import main

    (tmp_path / "img128.png").write_bytes(b"png")
    argv = _argv(tmp_path, clip_path)
    argv[-1] = str(tmp_path / "img128.png")
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "img128.png is a file" in err
    assert (tmp_path / "img128.png").read_bytes() == b"png"
