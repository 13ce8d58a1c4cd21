"""`stylelite emulate arm64` as a hostile user drives it: odd inventories, caches and emulators are one line
found before a build; a damaged tree is built again; a killed build's leftovers are cleaned. Runs without
qemu or a network: a stand-in emulator prints qemu's version, a stand-in tree holds what a finished one does."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from stylelite.device_tests import emulate_arm64 as ea
from stylelite.device_tests.inventory import load_inventory
from stylelite.runtime.errors import ConfigError, DeviceError
from tests.conftest import run_cli

PHONE = '# my devices\n[devices.arm64]\nkind = "adb"\nserial = "R58M123"\n'


@pytest.fixture
def fake_qemu(tmp_path):
    qemu = tmp_path / "bin" / "qemu-aarch64-static"
    qemu.parent.mkdir()
    qemu.write_text("#!/bin/sh\necho 'qemu-aarch64 version 7.2.22 (Debian)'\n")
    qemu.chmod(0o755)
    return qemu


def _finished_tree(cache):
    """What a finished build leaves in `cache` (the ready marker, the board's Python, the runtimes)."""
    tree = cache / ea.RECIPE
    for need in (ea.PYTHON.lstrip("/"), *(f"{ea.SITE}/{m}/__init__.py" for m in ("onnxruntime", "numpy", "cv2"))):
        (tree / need).parent.mkdir(parents=True, exist_ok=True)
        (tree / need).write_text("")
    (tree / ea.SITE / "ai_edge_litert").mkdir()
    (tree / ea.READY).write_text(json.dumps({"recipe": ea.RECIPE, "machine": "aarch64", "onnxruntime": "1.32.0"}))
    return tree


def test_inventories_that_cannot_take_the_board_are_refused_before_a_build(tmp_path):
    (tmp_path / "folder.toml").mkdir()
    with pytest.raises(ConfigError, match="folder.toml is a folder"):
        ea.check_inventory(tmp_path / "folder.toml", "arm64")
    (tmp_path / "bin.toml").write_bytes(b"\xff\xfe[x]\n")
    with pytest.raises(ConfigError, match=r"bin.toml cannot be read \(not UTF-8 text\)"):
        ea.check_inventory(tmp_path / "bin.toml", "arm64")
    os.mkfifo(tmp_path / "fifo.toml")
    with pytest.raises(ConfigError, match="fifo.toml is not a regular file"):
        ea.check_inventory(tmp_path / "fifo.toml", "arm64")
    (tmp_path / "dangling.toml").symlink_to(tmp_path / "gone" / "x.toml")
    with pytest.raises(ConfigError, match="dangling.toml is a link to .*, which is not a file"):
        ea.check_inventory(tmp_path / "dangling.toml", "arm64")
    (tmp_path / "phone.toml").write_text(PHONE)  # a real phone named arm64 is never replaced by the board
    with pytest.raises(ConfigError, match=r"already has \[devices.arm64\] of kind 'adb', not an emulated board"):
        ea.check_inventory(tmp_path / "phone.toml", "arm64")
    assert (tmp_path / "phone.toml").read_text() == PHONE
    assert not (tmp_path / "gone").exists()


def test_emulate_keeps_a_phone_and_a_shared_inventory_and_writes_absolute_paths(tmp_path, fake_qemu):
    _finished_tree(tmp_path / "cache")
    (tmp_path / "phone.toml").write_text(PHONE)
    argv = ("emulate", "arm64", "--cache", "cache", "--qemu", str(fake_qemu))
    res = run_cli(*argv, "--devices", "phone.toml", cwd=tmp_path)
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert "of kind 'adb'" in res.stderr and (tmp_path / "phone.toml").read_text() == PHONE
    (tmp_path / "shared.toml").write_text('[devices.jetson]\nkind = "ssh"\naddress = "j"\n')
    (tmp_path / "devices.toml").symlink_to("shared.toml")  # an inventory shared by a link stays shared
    res = run_cli(*argv, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "devices.toml").is_symlink()
    board = load_inventory(tmp_path / "shared.toml")["arm64"]
    assert board.sysroot == str(tmp_path / "cache" / ea.RECIPE) and board.qemu == str(fake_qemu)  # not relative
    assert "jetson" in load_inventory(tmp_path / "shared.toml")


def test_a_cache_that_is_a_file_or_an_emulator_that_is_not_qemu_is_one_line(tmp_path, fake_qemu):
    (tmp_path / "cachefile").write_text("x")
    res = run_cli("emulate", "arm64", "--cache", "cachefile", "--qemu", str(fake_qemu), cwd=tmp_path)
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert "cachefile is a file: give a folder" in res.stderr
    script = tmp_path / "notqemu"
    script.write_text("#!/bin/sh\necho 'true (GNU coreutils) 9.1 ... GPL version 3 or later'\n")
    res = run_cli("emulate", "arm64", "--qemu", str(script), cwd=tmp_path)
    assert res.returncode == 1 and "notqemu is not executable" in res.stderr, res.stderr
    script.chmod(0o755)
    res = run_cli("emulate", "arm64", "--qemu", str(script), cwd=tmp_path)
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert "is not qemu's aarch64 user-mode emulator" in res.stderr
    res = run_cli("emulate", "arm64", "--qemu", str(tmp_path), cwd=tmp_path)
    assert res.returncode == 1 and "is a folder" in res.stderr, res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "cachefile", "notqemu"]  # no inventory


@pytest.mark.parametrize("damage", ["python", "site"])
def test_a_damaged_tree_is_built_again_and_a_killed_builds_leftovers_go(tmp_path, fake_qemu, monkeypatch, damage):
    cache = tmp_path / "cache"
    tree = _finished_tree(cache)
    if damage == "python":
        (tree / ea.PYTHON.lstrip("/")).unlink()
    else:
        shutil.rmtree(tree / ea.SITE)
    stale = cache / f".{ea.RECIPE}-killed"  # the work folder of a build killed with -9
    (stale / "tree" / "usr").mkdir(parents=True)
    built = []

    def fake_run(argv, what, timeout_s):  # mmdebstrap and pip, without a network: the files each makes
        built.append(what)
        if what == "mmdebstrap":
            python = Path(argv[-1]) / ea.PYTHON.lstrip("/")
            python.parent.mkdir(parents=True)
            python.write_text("")
        else:
            for module in ("onnxruntime", "numpy", "cv2", "ai_edge_litert"):
                (Path(argv[argv.index("--target") + 1]) / module).mkdir(parents=True)
        return ""

    real_which = shutil.which
    monkeypatch.setattr(ea, "_run", fake_run)
    monkeypatch.setattr(ea, "probe_board", lambda t, q, cpu=ea.CPU: {"machine": "aarch64", "onnxruntime": "1.32.0"})
    which = lambda n, *a, **k: "/usr/bin/mmdebstrap" if n == "mmdebstrap" else real_which(n, *a, **k)  # noqa: E731
    monkeypatch.setattr(ea.shutil, "which", which)
    said = []
    assert ea.prepare_tree(cache, str(fake_qemu), said.append) == tree
    assert built == ["mmdebstrap", "pip install of the aarch64 wheels"], "reused a damaged tree"
    assert any("building it again" in s for s in said)
    assert ea.tree_missing(tree) is None and not stale.exists()
    assert sorted(p.name for p in cache.iterdir()) == [".build.lock", ea.RECIPE]


def test_a_second_build_of_the_same_cache_is_refused_at_once(tmp_path):
    import fcntl

    (tmp_path / "c").mkdir()
    with open(tmp_path / "c" / ".build.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(DeviceError, match="another stylelite emulate is building"):
            with ea._build_lock(tmp_path / "c"):
                pass
