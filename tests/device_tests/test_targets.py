"""Targets: the inventory, the adb and trtexec output parsers, the adb target against a fake adb."""

from __future__ import annotations

import json
import shlex
import sys
import textwrap

import numpy as np
import pytest

from stylelite.device_tests.inventory import DeviceSpec, load_inventory, select_devices
from stylelite.device_tests.targets import ConnectionDropped, open_target
from stylelite.device_tests.targets.adb import TensorIO, parse_benchmark_model
from stylelite.device_tests.targets.base import with_retries
from stylelite.device_tests.targets.trtexec import parse_trtexec, trtexec_argv
from stylelite.runtime.errors import ConfigError, DeviceError, UnknownNameError

# LiteRT benchmark_model, as it prints on a phone (newer builds add p5/median/p95 and an INFO: prefix)
BENCHMARK_MODEL_OUT = """\
INFO: STARTING!
INFO: Log parameter values verbosely: [0]
INFO: Num threads: [4]
INFO: Graph: [/data/local/tmp/stylelite-1/student.tflite]
INFO: Use xnnpack: [1]
INFO: Loaded model /data/local/tmp/stylelite-1/student.tflite
INFO: The input model file size (MB): 1.05603
INFO: Initialized session in 31.412ms.
INFO: Running benchmark for at least 5 iterations and at least 0.5 seconds but terminate if exceeding 150 seconds.
INFO: count=24 first=30122 curr=20511 min=20390 max=30122 avg=21044.6 std=1871 p5=20390 median=20640 p95=23998

INFO: Running benchmark for at least 50 iterations and at least 1 seconds but terminate if exceeding 150 seconds.
INFO: count=50 first=20688 curr=20571 min=20377 max=24312 avg=20913.7 std=712 p5=20401 median=20702 p95=22810

INFO: Inference timings in us: Init: 31412, First inference: 30122, Warmup (avg): 21044.6, Inference (avg): 20913.7
INFO: Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the \
actual memory footprint of the model at runtime. Take the information at your discretion.
INFO: Memory footprint delta from the start of the tool (MB): init=6.36328 overall=31.832
INFO: Peak memory footprint (MB): init=4.92969 overall=38.809
"""

# older builds: no prefix, scientific notation for large values
BENCHMARK_MODEL_OLD = """\
count=50 first=2990275 curr=2913402 min=2727568 max=3189954 avg=2.95034e+06 std=109798

Inference timings in us: Init: 17187, First inference: 3512391, Warmup (avg): 3.51239e+06, Inference (avg): 2.95034e+06
Memory footprint delta from the start of the tool (MB): init=4.21094 overall=46.0859
"""

# TensorRT trtexec's performance summary
TRTEXEC_OUT = """\
[11/20/2026-10:12:01] [I] === Performance summary ===
[11/20/2026-10:12:01] [I] Throughput: 412.577 qps
[11/20/2026-10:12:01] [I] Latency: min = 2.31348 ms, max = 3.61133 ms, mean = 2.41069 ms, median = 2.39795 ms, \
percentile(90%) = 2.46729 ms, percentile(95%) = 2.52148 ms, percentile(99%) = 2.9541 ms
[11/20/2026-10:12:01] [I] Enqueue Time: min = 0.0185547 ms, max = 2.50635 ms, mean = 0.0458279 ms, median = \
0.0307617 ms, percentile(90%) = 0.079834 ms, percentile(95%) = 0.0966797 ms, percentile(99%) = 0.199219 ms
[11/20/2026-10:12:01] [I] H2D Latency: min = 0.04541 ms, max = 0.1 ms, mean = 0.0478 ms, median = 0.0471 ms, \
percentile(90%) = 0.049 ms, percentile(95%) = 0.05 ms, percentile(99%) = 0.06 ms
[11/20/2026-10:12:01] [I] GPU Compute Time: min = 2.2 ms, max = 3.5 ms, mean = 2.3 ms, median = 2.29 ms, \
percentile(90%) = 2.35 ms, percentile(95%) = 2.4 ms, percentile(99%) = 2.8 ms
[11/20/2026-10:12:01] [I] Total Host Walltime: 3.00312 s
&&&& PASSED TensorRT.trtexec [TensorRT v100300] # trtexec --onnx=student.onnx --saveEngine=student.engine
"""


def test_parse_benchmark_model_timings_and_memory():
    r = parse_benchmark_model(BENCHMARK_MODEL_OUT)
    assert r["latency_ms"]["mean"] == pytest.approx(20.9137)
    assert r["latency_ms"]["p50"] == pytest.approx(20.702) and r["latency_ms"]["p95"] == pytest.approx(22.810)
    assert r["latency_ms"]["n"] == 50  # the timed run, not the warm-up
    assert r["init_ms"] == pytest.approx(31.412) and r["first_ms"] == pytest.approx(30.122)
    assert r["fps"] == pytest.approx(1000 / 20.9137)
    assert r["memory_delta_mb"] == {"init": 6.36328, "overall": 31.832}
    assert r["peak_memory_mb"] == {"init": 4.92969, "overall": 38.809}
    old = parse_benchmark_model(BENCHMARK_MODEL_OLD)
    assert old["latency_ms"]["mean"] == pytest.approx(2950.34) and old["memory_delta_mb"]["overall"] == 46.0859
    with pytest.raises(DeviceError, match="no 'Inference timings' line: ERROR: Failed to apply GPU delegate"):
        parse_benchmark_model("INFO: STARTING!\nERROR: Failed to apply GPU delegate.\n")


def test_parse_trtexec_end_to_end_latency_not_h2d():
    r = parse_trtexec(TRTEXEC_OUT)
    assert r["fps"] == pytest.approx(412.577)
    lat = r["latency_ms"]
    assert lat["p50"] == pytest.approx(2.39795) and lat["p90"] == pytest.approx(2.46729)
    assert lat["p99"] == pytest.approx(2.9541) and lat["mean"] == pytest.approx(2.41069)
    with pytest.raises(DeviceError, match="no performance summary"):
        parse_trtexec("[I] Building engine...\n")
    argv = trtexec_argv("trtexec", "/tmp/w/s.onnx", "/tmp/w/s.engine", "input", (1, 3, 72, 96), fp16=True)
    assert argv == ["trtexec", "--onnx=/tmp/w/s.onnx", "--saveEngine=/tmp/w/s.engine", "--shapes=input:1x3x72x96",
                    "--fp16"]  # fmt: skip


def test_inventory_validates_and_keeps_credentials_out(tmp_path):
    inv = tmp_path / "devices.toml"
    inv.write_text('[devices.jetson]\nkind = "ssh"\naddress = "10.0.0.5"\nengines = ["onnxruntime", "tensorrt"]\n')
    devs = load_inventory(inv)
    assert set(devs) == {"local", "jetson"} and devs["jetson"].engines == ("onnxruntime", "tensorrt")
    assert [d.name for d in select_devices(devs, "all")] == ["local", "jetson"]
    with pytest.raises(UnknownNameError, match="did you mean jetson"):
        select_devices(devs, "jetsn")
    inv.write_text('[devices.j]\nkind = "ssh"\naddress = "h"\npassword = "hunter2"\n')
    with pytest.raises(ConfigError, match="password must not be in the inventory; use your SSH agent"):
        load_inventory(inv)
    inv.write_text('[devices.p]\nkind = "adb"\n')
    with pytest.raises(ConfigError, match="needs `serial"):
        load_inventory(inv)
    with pytest.raises(ConfigError, match="unknown delegate"):
        DeviceSpec(name="p", kind="adb", serial="x", delegates=("tpu",))


def test_ssh_commands_are_argument_lists_with_checked_host_keys():
    spec = DeviceSpec(name="b", kind="ssh", address="board", user="me", port=2222, known_hosts="/k")
    argv = open_target(spec).ssh_argv(["echo", "a b; rm -rf /"], env={"PYTHONPATH": "/w/x.zip"})
    assert argv[0] == "ssh" and "StrictHostKeyChecking=yes" in argv and "BatchMode=yes" in argv
    assert "UserKnownHostsFile=/k" in argv and argv[-2] == "me@board"
    assert argv[-1] == "env PYTHONPATH=/w/x.zip echo 'a b; rm -rf /'"
    with pytest.raises(ConfigError, match="not a valid host"):
        open_target(DeviceSpec(name="b", kind="ssh", address="-oProxyCommand=x"))


def test_a_dropped_connection_is_retried():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionDropped("reset by peer")
        return "ok"

    retried = []
    assert with_retries(flaky, retries=2, what="b", delay_s=0, on_retry=lambda: retried.append(1)) == "ok"
    assert len(calls) == 3 and len(retried) == 2  # a target counts its retries this way (records carry them)
    with pytest.raises(ConnectionDropped, match="gave up after 2 attempts"):
        with_retries(lambda: (_ for _ in ()).throw(ConnectionDropped("down")), retries=1, what="b", delay_s=0)


FAKE_ADB = """\
#!{python}
# A fake `adb`: records argv, keeps a phone file system under $FAKE_ADB_ROOT, replays benchmark_model output.
import json, os, shlex, shutil, sys
root, log = os.environ["FAKE_ADB_ROOT"], os.environ["FAKE_ADB_LOG"]
args = sys.argv[1:]
with open(log, "a") as f:
    f.write(json.dumps(args) + "\\n")
assert args[:2] == ["-s", "R58M123ABC"], args
cmd, rest = args[2], args[3:]
on_phone = lambda p: os.path.join(root, p.lstrip("/"))
if cmd == "push":
    os.makedirs(os.path.dirname(on_phone(rest[1])), exist_ok=True)
    shutil.copyfile(rest[0], on_phone(rest[1]))
elif cmd == "pull":
    shutil.copyfile(on_phone(rest[0]), rest[1])
elif cmd == "shell":
    argv = shlex.split(rest[0])
    if argv[0] == "getprop":
        print("[ro.product.manufacturer]: [Google]\\n[ro.product.model]: [Pixel 8]\\n"
              "[ro.build.version.release]: [15]\\n[ro.soc.model]: [Tensor G3]\\n[ro.product.cpu.abi]: [arm64-v8a]")
    elif argv[0] == "mkdir":
        os.makedirs(on_phone(argv[-1]), exist_ok=True)
    elif argv[0] in ("chmod", "rm"):
        pass
    elif argv[0].endswith("benchmark_model"):
        flags = dict(a[2:].split("=", 1) for a in argv[1:])
        assert os.path.exists(on_phone(argv[0])) and os.path.exists(on_phone(flags["graph"]))
        if "output_filepath" in flags and os.environ.get("FAKE_BM_WITHOUT_OUTPUT_FLAG"):
            print("WARN: Unconsumed cmdline flags: --output_filepath=" + flags["output_filepath"])  # an old build
        elif "output_filepath" in flags:
            name, src = flags["input_layer_value_files"].rsplit(":", 1)
            assert name == flags["input_layer"] and flags["num_runs"] == "1", flags
            graph = open(on_phone(flags["graph"]), "rb").read()
            if graph[4:8] != b"TFL3":  # not a real model: act as the identity
                shutil.copyfile(on_phone(src), on_phone(flags["output_filepath"]))
            else:  # a real .tflite: run it with LiteRT here, as benchmark_model does on the phone
                import numpy as np
                from ai_edge_litert.interpreter import Interpreter
                shape = [int(d) for d in flags["input_layer_shape"].split(",")]
                it = Interpreter(model_path=on_phone(flags["graph"]))
                d = it.get_input_details()[0]
                if list(d["shape"]) != shape:
                    it.resize_tensor_input(d["index"], shape)
                it.allocate_tensors()
                data = open(on_phone(src), "rb").read()
                want = int(np.prod(shape)) * np.dtype(d["dtype"]).itemsize
                if len(data) != want:  # benchmark_model's LoadInputTensorData aborts the same way
                    sys.exit(f"ERROR: The size of {src} is {len(data)} bytes. It should be {want} bytes.")
                it.set_tensor(d["index"], np.frombuffer(data, d["dtype"]).reshape(shape))
                it.invoke()
                with open(on_phone(flags["output_filepath"]), "wb") as f:  # every output's raw bytes, in order
                    for o in it.get_output_details():
                        f.write(it.get_tensor(o["index"]).tobytes())
        sys.stdout.write(open(os.environ["FAKE_ADB_OUTPUT"]).read())
    else:
        sys.exit("unexpected shell command: " + rest[0])
"""


@pytest.fixture
def fake_adb(tmp_path, monkeypatch):
    bindir = tmp_path / "bin"
    bindir.mkdir()
    adb = bindir / "adb"
    adb.write_text(FAKE_ADB.replace("{python}", sys.executable))
    adb.chmod(0o755)
    (tmp_path / "bm.txt").write_text(BENCHMARK_MODEL_OUT)
    tool = tmp_path / "android_aarch64_benchmark_model"
    tool.write_bytes(b"\x7fELF fake")
    monkeypatch.setenv("PATH", f"{bindir}:" + __import__("os").environ["PATH"])
    monkeypatch.setenv("FAKE_ADB_ROOT", str(tmp_path / "phone"))
    monkeypatch.setenv("FAKE_ADB_LOG", str(tmp_path / "adb.log"))
    monkeypatch.setenv("FAKE_ADB_OUTPUT", str(tmp_path / "bm.txt"))
    inv = tmp_path / "devices.toml"
    inv.write_text(
        textwrap.dedent(f"""
        [devices.pixel8]
        kind = "adb"
        serial = "R58M123ABC"
        threads = 4
        delegates = ["xnnpack", "gpu", "nnapi"]
        benchmark_model = "{tool}"
        """)
    )
    return {"inventory": inv, "log": tmp_path / "adb.log", "dir": tmp_path}


def _adb_calls(log) -> list[list[str]]:
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_adb_target_benchmarks_each_delegate(fake_adb, clip_path):
    from stylelite.device_tests.remote_bench import bench_devices

    tflite = fake_adb["dir"] / "student.tflite"
    tflite.write_bytes(b"TFL3" + bytes(100))
    spec = load_inventory(fake_adb["inventory"])["pixel8"]
    records, _ = bench_devices([tflite], clip_path, [spec], iters=10)
    assert [r.engine for r in records] == ["litert-xnnpack", "litert-gpu", "litert-nnapi"]
    for r in records:
        assert r.latency_ms["mean"] == pytest.approx(20.9137) and r.fps > 0 and r.model_memory_mb == 38.809
        assert r.device["model"] == "Pixel 8" and r.device["soc"] == "Tensor G3" and r.device["device"] == "pixel8"
        assert r.latency_samples_ms == [] and r.retries == 0  # benchmark_model prints aggregates only
    assert "no flicker" in records[0].status  # a fake file: the host cannot read its metadata
    shells = [c[3] for c in _adb_calls(fake_adb["log"]) if c[2] == "shell" and "benchmark_model " in c[3]]
    assert any("--use_gpu=true" in s for s in shells) and any("--use_nnapi=true" in s for s in shells)
    assert all("--num_threads=4" in s for s in shells[:3])


def test_adb_stylize_frames_round_trip_for_flicker(fake_adb):
    spec = load_inventory(fake_adb["inventory"])["pixel8"]
    target = open_target(spec)
    tflite = fake_adb["dir"] / "student.tflite"
    tflite.write_bytes(b"TFL3")
    x = np.random.default_rng(0).uniform(-1, 1, (3, 8, 12, 3)).astype(np.float32)
    io = TensorIO("serving_default_input:0", "float32", (0.0, 0), "float32", (0.0, 0))
    outs = target.stylize_frames(tflite, x, io=io)  # the fake runs an identity model
    assert len(outs) == 3 and all(np.array_equal(o.reshape(8, 12, 3), xi) for o, xi in zip(outs, x))
    calls = _adb_calls(fake_adb["log"])
    assert all(c[:2] == ["-s", "R58M123ABC"] for c in calls)
    run = shlex.split(next(c[3] for c in calls if c[2] == "shell" and "--output_filepath" in c[3]))
    assert "--input_layer_shape=1,8,12,3" in run and "--input_layer=input" in run  # ':' in a name: a placeholder
    assert any(a.startswith("--input_layer_value_files=input:/data/local/tmp/stylelite-") for a in run)
    assert {"--num_runs=1", "--min_secs=0", "--warmup_runs=0", "--warmup_min_secs=0"} <= set(run)  # one run
    target.close()


def test_adb_int8_model_gets_quantized_input_bytes_and_dequantized_outputs(fake_adb):
    target = open_target(load_inventory(fake_adb["inventory"])["pixel8"])
    tflite = fake_adb["dir"] / "s8.tflite"
    tflite.write_bytes(b"TFL3")
    io = TensorIO("input", "int8", (2 / 255, 0), "int8", (2 / 255, 0))
    x = np.random.default_rng(1).uniform(-1, 1, (2, 4, 6, 3)).astype(np.float32)
    outs = target.stylize_frames(tflite, x, io=io)  # identity on the bytes: int8 in, int8 out
    pushed = sorted((fake_adb["dir"] / "phone").rglob("in_*.bin"))
    assert [p.stat().st_size for p in pushed] == [4 * 6 * 3] * 2  # one byte per value, as the tensor holds it
    assert np.abs(outs[0].reshape(4, 6, 3) - x[0]).max() <= 1 / 255 + 1e-6  # back to floats within half a step


def test_adb_without_the_output_flag_keeps_latency_and_says_why_flicker_is_missing(fake_adb, monkeypatch):
    monkeypatch.setenv("FAKE_BM_WITHOUT_OUTPUT_FLAG", "1")
    target = open_target(load_inventory(fake_adb["inventory"])["pixel8"])
    tflite = fake_adb["dir"] / "student.tflite"
    tflite.write_bytes(b"TFL3")
    io = TensorIO("input", "float32", (0.0, 0), "float32", (0.0, 0))
    with pytest.raises(DeviceError, match="no --output_filepath flag.*use a current LiteRT benchmark_model"):
        target.stylize_frames(tflite, np.zeros((1, 4, 4, 3), np.float32), io=io)


def test_local_target_through_the_runner(student_onnx, clip_path):
    from stylelite.device_tests.inventory import LOCAL
    from stylelite.device_tests.remote_bench import bench_devices

    records, host = bench_devices([student_onnx], clip_path, [LOCAL], reference=student_onnx, iters=8)
    (rec,) = records
    assert rec.status == "ok" and rec.engine == "onnxruntime" and rec.device["device"] == "local"
    assert len(rec.latency_samples_ms) == rec.latency_ms["n"] == 8 and min(rec.latency_samples_ms) > 0
    assert rec.parity_psnr_db > 40 and rec.flicker > 0 and len(rec.flicker_per_frame) == len(host.frames) - 1
    # the target timed the dense-conv reference too: the model's share of the ceiling, measured there
    assert rec.gmacs_per_s > 0 and rec.ceiling_gmacs_per_s > 0
    assert rec.ceiling_ratio == pytest.approx(rec.gmacs_per_s / rec.ceiling_gmacs_per_s)


@pytest.mark.tflite
def test_a_board_runs_the_formats_of_the_engines_it_lists(int8_tflite_and_clip):
    """A local or ssh board runs .tflite when its inventory lists litert; by default it says it runs .onnx only."""
    from stylelite.device_tests.remote_bench import bench_devices

    tflite, clip = int8_tflite_and_clip
    plain, both = DeviceSpec(name="local"), DeviceSpec(name="local", engines=("onnxruntime", "litert"))
    (skipped,), _ = bench_devices([tflite], clip, [plain], iters=1, warmup=0)
    assert skipped.status == "skipped: local runs .onnx files"
    records, _ = bench_devices([tflite], clip, [both], iters=1, warmup=0)
    assert [(r.status, r.engine) for r in records] == [("ok", "litert")] and records[0].parity_psnr_db > 90


@pytest.fixture(scope="module")
def int8_tflite_and_clip(student_tflite_int8, tmp_path_factory):
    """A real int8 (int8 I/O) student at 64x64 (the session's) and a 64x64 clip of its calibration frames."""
    from stylelite.runtime.video import write_video

    res, frames = student_tflite_int8
    return res.path, write_video(tmp_path_factory.mktemp("adb_tflite") / "clip64.mp4", frames, fps=10.0)


@pytest.mark.tflite
def test_adb_flicker_through_a_real_int8_tflite(fake_adb, int8_tflite_and_clip):
    """The fake phone runs the real model with LiteRT on the pushed bytes; the host scores what comes back."""
    from stylelite.device_tests.remote_bench import bench_devices

    tflite, clip = int8_tflite_and_clip
    io = TensorIO.of(tflite)
    assert io.input_dtype == "int8" and io.output_dtype == "int8" and io.input_quant[0] > 0
    spec = load_inventory(fake_adb["inventory"])["pixel8"]
    records, host = bench_devices([tflite], clip, [spec], iters=4)
    rec = records[0]
    assert rec.status == "ok" and rec.engine == "litert-xnnpack", rec.status
    assert rec.flicker > 0 and len(rec.flicker_per_frame) == len(host.frames) - 1
    print(f"adb int8: parity {rec.parity_psnr_db:.1f} dB, flicker {rec.flicker:.5f} (floor {rec.flicker_floor:.5f})")
    assert rec.parity_psnr_db > 40  # the phone's outputs, decoded on the host, match the host's own run
    pushed = sorted((fake_adb["dir"] / "phone").rglob("in_*.bin"))
    assert len(pushed) == len(host.frames) and all(p.stat().st_size == 64 * 64 * 3 for p in pushed)  # int8 bytes
