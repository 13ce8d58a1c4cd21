"""The emulated arm64 board (`stylelite emulate arm64`): inventory entry, emulated records, the board itself.

The board tests prepare the aarch64 tree once per session into the user's cache
($STYLELITE_ARM64_CACHE or ~/.cache/stylelite/arm64; about a minute the first time, then reused) and
skip with one line where qemu-user-static or mmdebstrap is missing or the tree cannot be built.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from stylelite.benchmark.records import BenchRecord
from stylelite.device_tests.emulate_arm64 import write_device_entry
from stylelite.device_tests.inventory import DeviceSpec, load_inventory
from stylelite.device_tests.targets import open_target
from stylelite.runtime.errors import BudgetError, ConfigError, DeviceError, InputError
from stylelite.runtime.files import read_toml

INVENTORY = (
    '# my boards\n[devices.jetson]\nkind = "ssh"\naddress = "j.local"  # lab\n\n[devices.arm64]\nkind = "local"\n'  # noqa: E501
)


def _record(**kw) -> BenchRecord:
    fields = dict(
        model="s", artifact="s.onnx", format="onnx", precision="fp32", engine="onnxruntime", size_mb=0.5,
        params=1, gmacs_256=0.5, width=8, height=8, threads=0, frames=2, latency_ms={"p50": 900.0, "p90": 950.0},
        fps=1.1, peak_rss_mb=1.0, model_memory_mb=1.0, flicker=0.001, flicker_floor=0.001, flicker_per_frame=[0.001],
        device={"device": "arm64", "machine": "aarch64", "emulated": True, "emulator": "qemu-aarch64 7.2.22"},
        emulated=True,
    )  # fmt: skip
    fields.update(kw)
    return BenchRecord(**fields)


# -- without qemu -------------------------------------------------------------------------------------------
def test_device_entry_replaces_its_table_and_keeps_the_rest(tmp_path):
    inv = tmp_path / "devices.toml"
    inv.write_text(INVENTORY)
    write_device_entry(inv, "arm64", {"kind": "qemu", "sysroot": "/c/tree", "engines": ["onnxruntime", "litert"]})
    text = inv.read_text()
    assert text.startswith('# my boards\n[devices.jetson]\nkind = "ssh"\naddress = "j.local"  # lab\n')
    devs = load_inventory(inv)
    assert devs["jetson"].address == "j.local" and devs["arm64"].kind == "qemu"
    assert devs["arm64"].sysroot == "/c/tree" and devs["arm64"].engines == ("onnxruntime", "litert")
    write_device_entry(inv, "arm64", {"kind": "qemu", "sysroot": "/d/tree"})  # again: one table, the new one
    assert inv.read_text().count("[devices.arm64]") == 1 and load_inventory(inv)["arm64"].sysroot == "/d/tree"
    assert [p.name for p in tmp_path.iterdir()] == ["devices.toml"]  # nothing half-written beside it


def test_device_entry_refuses_an_inventory_that_does_not_parse(tmp_path):
    inv = tmp_path / "devices.toml"
    inv.write_text("[devices.jetson\nkind = ")
    with pytest.raises(ConfigError, match="devices.toml"):
        write_device_entry(inv, "arm64", {"kind": "qemu", "sysroot": "/t"})
    assert inv.read_text() == "[devices.jetson\nkind = " and len(list(tmp_path.iterdir())) == 1
    with pytest.raises(ConfigError, match="needs `sysroot`"):
        DeviceSpec(name="arm64", kind="qemu")


def test_emulate_without_qemu_says_what_to_install_and_writes_nothing(tmp_path):
    from tests.conftest import run_cli

    res = run_cli("emulate", "arm64", "--qemu", "no-such-qemu-aarch64", "--cache", str(tmp_path / "c"), cwd=tmp_path)
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert "no-such-qemu-aarch64 not found; install it: apt-get install qemu-user-static mmdebstrap" in res.stderr
    assert list(tmp_path.iterdir()) == []  # no inventory, no half-built tree


def test_qemu_target_without_qemu_or_tree_says_what_to_do(tmp_path):
    spec = DeviceSpec(name="arm64", kind="qemu", sysroot=str(tmp_path), qemu="no-such-qemu-aarch64")
    with pytest.raises(DeviceError, match="no-such-qemu-aarch64 not found; install it: apt-get install qemu-user"):
        open_target(spec).facts()
    if shutil.which("qemu-aarch64-static"):
        spec = DeviceSpec(name="arm64", kind="qemu", sysroot=str(tmp_path), python="/usr/bin/python3.11")
        with pytest.raises(DeviceError, match="no board tree with /usr/bin/python3.11 .* stylelite emulate arm64"):
            open_target(spec).facts()


def test_a_board_without_a_runtime_names_the_format_and_the_package(tmp_path, monkeypatch):
    spec = DeviceSpec(name="arm64", kind="qemu", sysroot=str(tmp_path))
    target = open_target(spec)

    def runner(args, timeout_s=None):  # what the runner answers on a board without LiteRT
        raise DeviceError(
            "arm64: the runner failed (bench): MissingBackendError: ai_edge_litert.interpreter is not installed; "
            "install it with: pip install 'stylelite[litert]'"
        )

    monkeypatch.setattr(target, "runner", runner)
    board = tmp_path / "board"
    board.mkdir()
    monkeypatch.setattr(target, "workdir", lambda: str(board))
    model = tmp_path / "s.tflite"
    model.write_bytes(b"TFL3")
    np.save(tmp_path / "f.npy", np.zeros((1, 4, 4, 3), np.uint8))
    with pytest.raises(
        DeviceError,
        match=r"arm64: the board cannot load \.tflite files \(ai_edge_litert.interpreter is not installed\); "
        r"install ai-edge-litert: pip install --target .*dist-packages .*ai-edge-litert",
    ):
        target.bench_artifact(model, tmp_path / "f.npy", tmp_path / "o.npy", 1, 1)


def test_emulated_records_round_trip_and_are_marked_in_tables():
    from stylelite.benchmark.host_bench import format_table
    from stylelite.reports.tables import results_table

    rec = _record()
    assert BenchRecord.from_dict(json.loads(json.dumps(rec.to_dict()))) == rec
    assert BenchRecord.from_dict({"model": "old"}).emulated is False  # lines from before the field
    with pytest.raises(InputError, match="emulated must be true or false"):
        BenchRecord.from_dict({**rec.to_dict(), "emulated": "yes"})
    table = format_table([rec, _record(device={"device": "local"}, emulated=False)])
    assert "900.0 emu" in table and "emulated timing on arm64 (qemu-aarch64 7.2.22)" in table
    assert "| 900.0 (emulated) |" in results_table([rec])


def test_budgets_refuse_emulated_latency_in_one_line(tmp_path):
    from stylelite.reports.budgets import Budget, check_budgets
    from tests.conftest import run_cli

    latency = Budget(model="s*", limits=(("max_p90_ms", 40.0), ("max_size_mb", 1.0)))
    with pytest.raises(BudgetError, match="max_p90_ms cannot be checked on arm64, whose latency is emulated"):
        check_budgets([latency], [_record()])
    size_only = Budget(model="s*", limits=(("max_size_mb", 1.0), ("max_flicker", 0.01)))
    assert all(c.passed for c in check_budgets([size_only], [_record()]))  # the board's own figures stand
    results, budgets = tmp_path / "r.jsonl", tmp_path / "b.toml"
    results.write_text(json.dumps(_record().to_dict()) + "\n")
    budgets.write_text('[[budget]]\nmodel = "s*"\nmin_fps = 25.0\n')
    res = run_cli("budget", "check", str(results), "--budgets", str(budgets), cwd=tmp_path)
    assert res.returncode == 1 and res.stderr.count("\n") == 1, res.stderr
    assert "min_fps cannot be checked on arm64, whose latency is emulated (qemu-aarch64 7.2.22)" in res.stderr


def test_search_refuses_a_latency_budget_on_an_emulated_board(tmp_path):
    from stylelite.workflows.student_search import SearchConfig, search

    inv = tmp_path / "devices.toml"
    inv.write_text('[devices.arm64]\nkind = "qemu"\nsysroot = "/nowhere"\n')
    config = SearchConfig(device="arm64", devices=str(inv), budget_ms=33.0, clip=str(_tiny_clip(tmp_path)))
    with pytest.raises(ConfigError, match="--budget-ms: arm64 is an emulated board"):
        search(config, out=tmp_path / "search", progress=False)
    assert not (tmp_path / "search" / "runs").exists()  # refused before any training


# -- an adb phone without benchmark_model: the runner on the phone's Python --------------------------------------
STAND_IN_ADB = """\
#!{python}
# A stand-in `adb`: the phone's files under $PHONE_ROOT, its Python is $PHONE_PYTHON (an argv prefix:
# this machine's Python, or the arm64 board's under qemu).
import json, os, shlex, shutil, subprocess, sys
root, args = os.environ["PHONE_ROOT"], sys.argv[1:]
on_phone = lambda p: p.replace("/data/local/tmp", root + "/data/local/tmp")
cmd, rest = args[2], args[3:]
if cmd == "push":
    os.makedirs(os.path.dirname(on_phone(rest[1])), exist_ok=True)
    shutil.copyfile(rest[0], on_phone(rest[1]))
elif cmd == "pull":
    shutil.copyfile(on_phone(rest[0]), rest[1])
else:
    argv = [on_phone(a) for a in shlex.split(rest[0])]
    env = {{"PATH": "/usr/bin:/bin", "HOME": root}}
    if argv[0] == "env":
        while "=" in argv[1]:
            k, v = argv.pop(1).split("=", 1)
            env[k] = v
        argv.pop(0)
    if argv[0] == "getprop":
        print("[ro.product.model]: [Emulated arm64]\\n[ro.product.cpu.abi]: [arm64-v8a]")
    elif argv[0] in ("mkdir", "rm", "sh"):
        sys.exit(subprocess.run(argv).returncode)
    elif argv[0] == "python3":
        sys.exit(subprocess.run(json.loads(os.environ["PHONE_PYTHON"]) + argv[1:], env=env).returncode)
    else:
        sys.exit("unexpected shell command: " + rest[0])
"""


def _phone(tmp_path, monkeypatch, python: list[str]) -> DeviceSpec:
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    adb = bindir / "adb"
    adb.write_text(STAND_IN_ADB.format(python=sys.executable))
    adb.chmod(0o755)
    monkeypatch.setenv("PHONE_ROOT", str(tmp_path / "phone"))
    monkeypatch.setenv("PHONE_PYTHON", json.dumps(python))
    inv = tmp_path / "devices.toml"
    inv.write_text(f'[devices.phone]\nkind = "adb"\nserial = "EMU64"\nadb = "{adb}"\n')
    return load_inventory(inv)["phone"]


def _tiny_clip(tmp_path, size=(48, 36), frames=4) -> Path:
    from stylelite.runtime.synthetic import make_camera_clip
    from stylelite.runtime.video import write_video
    from tests.conftest import make_photo

    return write_video(tmp_path / f"clip{size[0]}.mp4", make_camera_clip(make_photo(), frames, size=size), fps=10.0)


@pytest.fixture(scope="module")
def int8_tflite_and_clip(student_tflite_int8, tmp_path_factory):
    """The session's int8 TFLite student (64x64, int8 I/O) and a 64x64 clip of its calibration frames."""
    from stylelite.runtime.video import write_video

    res, frames = student_tflite_int8
    return res.path, write_video(tmp_path_factory.mktemp("arm64") / "clip64.mp4", frames[:4], fps=10.0)


@pytest.mark.tflite
def test_adb_without_benchmark_model_runs_litert_in_the_phones_python(tmp_path, monkeypatch, int8_tflite_and_clip):
    from stylelite.device_tests.remote_bench import bench_devices

    tflite, clip = int8_tflite_and_clip
    spec = _phone(tmp_path, monkeypatch, [sys.executable])
    records, host = bench_devices([tflite], clip, [spec], iters=4, warmup=1)
    (rec,) = records
    assert rec.status == "ok" and rec.engine == "litert", rec.status
    assert rec.device["model"] == "Emulated arm64" and rec.device["runner"] == "litert-python"
    assert rec.parity_psnr_db > 40 and len(rec.flicker_per_frame) == len(host.frames) - 1
    assert len(rec.latency_samples_ms) == 4  # every frame's latency, not benchmark_model's aggregates
    with pytest.raises(DeviceError, match="gpu need LiteRT's benchmark_model"):
        open_target(DeviceSpec(name="p", kind="adb", serial="x", delegates=("xnnpack", "gpu")))


# -- the board itself (qemu) ----------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def arm64_board(tmp_path_factory):
    """The arm64 tree (prepared once into the cache, reused) and an inventory naming it."""
    from stylelite.device_tests.emulate_arm64 import emulate_arm64

    inv = tmp_path_factory.mktemp("arm64_inventory") / "devices.toml"
    try:
        tree, facts = emulate_arm64(inv)
    except DeviceError as exc:
        pytest.skip(f"no arm64 board: {exc}")
    return tree, facts, load_inventory(inv)["arm64"]


def test_emulate_writes_the_board_into_the_inventory(arm64_board, tmp_path):
    from tests.conftest import run_cli

    tree, facts, _ = arm64_board
    assert facts["machine"] == "aarch64" and facts["onnxruntime"] and facts["ai_edge_litert"]
    inv = tmp_path / "devices.toml"
    inv.write_text(INVENTORY.replace('kind = "local"', 'kind = "qemu"\nsysroot = "/old/tree"'))  # an earlier board
    res = run_cli("emulate", "arm64", "--devices", str(inv), "--cache", str(tree.parent), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "aarch64 board in" in res.stdout and "onnxruntime" in res.stdout
    raw = read_toml(inv, "inventory", ConfigError)["devices"]
    assert raw["jetson"] == {"kind": "ssh", "address": "j.local"}
    assert raw["arm64"]["kind"] == "qemu" and raw["arm64"]["sysroot"] == str(tree)
    assert "processor\t: 0" in (tree / "proc" / "cpuinfo").read_text()  # onnxruntime's CPU probe reads it


@pytest.mark.tflite
def test_the_board_runs_onnx_and_tflite_on_arm_kernels(arm64_board, student_onnx, int8_tflite_and_clip, tmp_path):
    """fp32 ONNX and int8 TFLite on the board: parity with the host, flicker within 5 %, emulated records."""
    from stylelite.device_tests.inventory import LOCAL
    from stylelite.device_tests.remote_bench import bench_devices

    _, _, spec = arm64_board
    tflite, clip = int8_tflite_and_clip
    records, host = bench_devices([student_onnx, tflite], clip, [spec, LOCAL], iters=2, warmup=1)
    board = {Path(r.artifact).suffix: r for r in records if r.device["device"] == "arm64"}
    here = {Path(r.artifact).suffix: r for r in records if r.device["device"] == "local"}
    assert set(board) == {".onnx", ".tflite"}
    for suffix, r in board.items():
        assert r.status == "ok", r.status
        assert r.device["machine"] == "aarch64" and r.emulated and r.device["emulated"] is True
        assert r.parity_psnr_db >= 40, (suffix, r.parity_psnr_db)
        if suffix in here and here[suffix].flicker:
            assert abs(r.flicker - here[suffix].flicker) <= 0.05 * here[suffix].flicker
    assert board[".onnx"].engine == "onnxruntime" and board[".tflite"].engine == "litert"
    assert board[".onnx"].gmacs_per_s is None  # no ceiling from an emulator's timing


@pytest.fixture(scope="module")
def shipped_students_onnx(tmp_path_factory):
    """Every shipped student exported to ONNX fp32 and fp16, the int8 ones to ONNX int8 as well (calibrated on
    the clip's frames), and a 48x36 clip: what the board must run as the host does."""
    from stylelite.export.api import export_model
    from stylelite.models.registry import PRETRAINED, STUDENTS
    from stylelite.runtime.synthetic import make_camera_clip
    from stylelite.runtime.video import write_video
    from tests.conftest import make_photo

    folder = tmp_path_factory.mktemp("shipped_onnx")
    frames = make_camera_clip(make_photo(seed=5), 8, size=(48, 36))
    clip = write_video(folder / "clip.mp4", frames[:4], fps=10.0)
    names = [n for n in PRETRAINED if n.split(".", 1)[0] in STUDENTS.names()]
    paths = [export_model(n, folder / f"{n}.fp32.onnx").path for n in names]
    paths += [export_model(n, folder / f"{n}.fp16.onnx", precision="fp16").path for n in names]
    paths += [export_model(n, folder / f"{n}.int8.onnx", precision="int8", calib=frames).path
              for n in names if n.endswith("_int8")]  # fmt: skip
    return names, paths, clip


def test_every_shipped_student_runs_on_the_board(arm64_board, shipped_students_onnx):
    """Each shipped student (the real teachers' students too) in ONNX on aarch64 kernels: parity with the host
    (fp32 to a grey level; fp16 runs natively on aarch64 where x86 upcasts), flicker within 5 % of the host's."""
    from stylelite.device_tests.inventory import LOCAL
    from stylelite.device_tests.remote_bench import bench_devices

    _, _, spec = arm64_board
    names, paths, clip = shipped_students_onnx
    assert (
        len(names) >= 9 and any(n.endswith(".magenta") for n in names) and any(n.endswith(".vintagify") for n in names)
    )
    records, _ = bench_devices(paths, clip, [spec, LOCAL], iters=1, warmup=0)
    board = {Path(r.artifact).name: r for r in records if r.device["device"] == "arm64"}
    here = {Path(r.artifact).name: r for r in records if r.device["device"] == "local"}
    assert set(board) == {p.name for p in paths}
    for name, r in board.items():
        assert r.status == "ok" and r.device["machine"] == "aarch64", (name, r.status)
        assert r.parity_psnr_db >= (50 if ".fp32." in name else 40), (name, r.parity_psnr_db)
        assert abs(r.flicker - here[name].flicker) <= 0.05 * here[name].flicker, (name, r.flicker, here[name].flicker)


@pytest.fixture(scope="module")
def shipped_students_tflite(tmp_path_factory):
    """Every shipped student in TFLite fp32 and fp16, the int8 ones in TFLite int8 as well (calibrated on the
    clip's frames), at a fixed 48x48, and a 48x48 clip (TFLite takes a fixed size)."""
    pytest.importorskip("onnx2tf")
    pytest.importorskip("ai_edge_litert")
    from stylelite.export.api import export_model
    from stylelite.models.registry import PRETRAINED, STUDENTS
    from stylelite.runtime.synthetic import make_camera_clip
    from stylelite.runtime.video import write_video
    from tests.conftest import make_photo

    folder = tmp_path_factory.mktemp("shipped_tflite")
    frames = make_camera_clip(make_photo(seed=6), 8, size=(48, 48))
    clip = write_video(folder / "clip.mp4", frames[:4], fps=10.0)
    names = [n for n in PRETRAINED if n.split(".", 1)[0] in STUDENTS.names()]
    fixed = {"format": "tflite", "dynamic": False, "sample_size": 48}
    paths = [export_model(n, folder / f"{n}.{p}.tflite", precision=p, **fixed).path
             for n in names for p in ("fp32", "fp16")]  # fmt: skip
    paths += [export_model(n, folder / f"{n}.int8.tflite", precision="int8", calib=frames, **fixed).path
              for n in names if n.endswith("_int8")]  # fmt: skip
    return names, paths, clip


@pytest.mark.tflite
def test_every_shipped_student_runs_on_the_board_in_tflite(arm64_board, shipped_students_tflite):
    """Each shipped student (the styled Magenta one with its style inputs too) in TFLite on the board's LiteRT:
    parity with the host's LiteRT, flicker within 5 % of the host's."""
    from stylelite.device_tests.remote_bench import bench_devices

    _, _, spec = arm64_board
    names, paths, clip = shipped_students_tflite
    assert any(n.endswith(".magenta") for n in names) and len(paths) == 2 * len(names) + 3
    here_litert = DeviceSpec(name="local", engines=("onnxruntime", "litert"))
    records, _ = bench_devices(paths, clip, [spec, here_litert], iters=1, warmup=0)
    board = {Path(r.artifact).name: r for r in records if r.device["device"] == "arm64"}
    here = {Path(r.artifact).name: r for r in records if r.device["device"] == "local"}
    assert set(board) == {p.name for p in paths}
    for name, r in board.items():
        assert r.status == "ok" and r.device["machine"] == "aarch64" and r.engine.startswith("litert"), (name, r.status)
        assert r.parity_psnr_db >= (50 if ".int8." not in name else 40), (name, r.parity_psnr_db)
        assert abs(r.flicker - here[name].flicker) <= 0.05 * here[name].flicker, (name, r.flicker, here[name].flicker)


@pytest.mark.tflite
def test_the_phone_path_runs_arm_code_in_the_board(arm64_board, tmp_path, monkeypatch, int8_tflite_and_clip):
    from stylelite.device_tests.emulate_arm64 import board_python_argv
    from stylelite.device_tests.remote_bench import bench_devices

    tree, _, board = arm64_board
    tflite, clip = int8_tflite_and_clip
    spec = _phone(tmp_path, monkeypatch, board_python_argv(tree, board.qemu, board.cpu))
    (rec,) = bench_devices([tflite], clip, [spec], iters=2, warmup=1)[0]
    assert rec.status == "ok" and rec.engine == "litert", rec.status
    assert rec.device["machine"] == "aarch64" and rec.parity_psnr_db > 40


@pytest.mark.slow
def test_the_device_suite_on_the_board(arm64_board, tmp_path):
    """`pytest stylelite/device_tests --device arm64` as a user types it (the committed student, ~1 min)."""
    import subprocess

    inv = tmp_path / "devices.toml"
    write_device_entry(inv, "arm64", {"kind": "qemu", "sysroot": str(arm64_board[0]), "cpu": "neoverse-n1",
                                      "python": "/usr/bin/python3.11"})  # fmt: skip
    root = Path(__file__).resolve().parents[2]
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "stylelite/device_tests"]
    res = subprocess.run([*argv, "--device", "arm64", "--devices", str(inv)], cwd=root, capture_output=True, text=True)
    assert res.returncode == 0 and " passed" in res.stdout, res.stdout[-2000:]


def test_frames_come_back_as_the_board_wrote_them(arm64_board, tmp_path):
    """The board's Python writes an array this machine reads back bit for bit (the pull of the outputs)."""
    _, _, spec = arm64_board
    target = open_target(spec)
    out = tmp_path / "a.npy"
    code = f"import numpy as np; np.save({str(out)!r}, np.arange(12, dtype=np.float32).reshape(3, 4) / 7)"
    res = target.run([spec.python, "-c", code])
    assert res.returncode == 0, res.stderr
    assert np.array_equal(np.load(out), np.arange(12, dtype=np.float32).reshape(3, 4) / 7)
