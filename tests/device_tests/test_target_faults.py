"""Device inventories and target results a user can get wrong (issue 15, items 12 and 23): one line naming
the file and field; absurd timings from a phone become error records; the JSON lines stay strictly valid."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from stylelite.cli.main import main
from stylelite.device_tests.inventory import load_inventory
from stylelite.device_tests.targets import open_target
from stylelite.runtime.errors import ConfigError, DeviceError
from tests.device_tests.test_targets import BENCHMARK_MODEL_OUT, fake_adb  # noqa: F401  (the fake adb fixture)


@pytest.mark.parametrize(
    "entry,message",
    [
        ('kind = "ssh"\naddress = "b"\nport = "22"', r"port must be a whole number, got '22'"),
        ('kind = "ssh"\naddress = "b"\nthreads = true', r"threads must be a whole number, got True"),
        ('kind = "ssh"\naddress = 5', r"address must be a string, got 5"),
        (
            'kind = "ssh"\naddress = "b"\nengines = "onnxruntime"',
            r'engines must be a list of strings \(e\.g\. engines = \["onnxruntime"\]\), got \'onnxruntime\'',
        ),
        ('kind = "adb"\nserial = "x"\ndelegates = ["gpu", 3]', r"delegates must be a list of strings"),
        ('kind = "ssh"\naddress = "b"\ntimeout_s = 1.5', r"timeout_s must be a whole number"),
    ],
    ids=["port-str", "threads-bool", "address-int", "engines-str", "delegates-int", "timeout-float"],
)
def test_inventory_fields_of_the_wrong_type_are_one_line(tmp_path, capsys, entry, message):
    inv = tmp_path / "devices.toml"
    inv.write_text(f"[devices.b]\n{entry}\n")
    with pytest.raises(ConfigError, match=rf"^{inv}: \[devices\.b\] {message}"):
        load_inventory(inv)
    rc = main(["bench", "s.onnx", "--clip", "c.mp4", "--device", "b", "--devices", str(inv)])
    err = capsys.readouterr().err
    assert rc == 1 and len(err.strip().splitlines()) == 1 and "devices.toml" in err, err


def test_an_inventory_that_is_not_utf8_is_one_line(tmp_path, capsys):
    inv = tmp_path / "devices.toml"
    inv.write_bytes(b'[devices.b]\nkind = "ssh"\naddress = "\xff\xfe"\n')
    with pytest.raises(ConfigError, match=rf"^{inv}: not UTF-8 text"):
        load_inventory(inv)
    assert main(["budget", "check", "x.onnx", "--clip", "c.mp4", "--device", "b", "--devices", str(inv)]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_adb_facts_use_the_devices_timeout(fake_adb, tmp_path, monkeypatch):  # noqa: F811
    """Before: getprop always had 30 s, whatever the inventory said."""
    slow = tmp_path / "slowbin"
    slow.mkdir()
    real = next(p for p in os.environ["PATH"].split(":") if (Path(p) / "adb").exists())  # the fake adb
    (slow / "adb").write_text(f'#!/bin/sh\ncase "$4" in getprop*) sleep 4;; esac\nexec {real}/adb "$@"\n')
    (slow / "adb").chmod(0o755)
    monkeypatch.setenv("PATH", f"{slow}:" + os.environ["PATH"])
    inv = fake_adb["inventory"]
    inv.write_text(inv.read_text() + "timeout_s = 1\nretries = 0\n")
    target = open_target(load_inventory(inv)["pixel8"])
    t0 = time.monotonic()
    with pytest.raises(DeviceError, match="timed out after 1 s"):
        target.facts()
    assert time.monotonic() - t0 < 3.5


ABSURD = {
    "p95 = Infinity": BENCHMARK_MODEL_OUT.replace("p95=22810", "p95=1e999"),
    "negative latency": BENCHMARK_MODEL_OUT.replace("Inference (avg): 20913.7", "Inference (avg): -20913.7"),
    "fps 0": BENCHMARK_MODEL_OUT.replace("Inference (avg): 20913.7", "Inference (avg): 0"),
}


def _strict(text: str):
    def refuse(token):
        raise ValueError(f"not strict JSON: {token}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("case", list(ABSURD))
def test_absurd_timings_from_a_phone_are_error_records_in_strict_json(fake_adb, clip_path, tmp_path, case):  # noqa: F811
    from stylelite.device_tests.remote_bench import bench_devices

    (fake_adb["dir"] / "bm.txt").write_text(ABSURD[case])
    tflite = fake_adb["dir"] / "student.tflite"
    tflite.write_bytes(b"TFL3" + bytes(100))
    out = tmp_path / "bench.jsonl"
    records, _ = bench_devices([tflite], clip_path, [load_inventory(fake_adb["inventory"])["pixel8"]], iters=5, out=out)
    assert len(records) == 3
    for rec in records:
        assert rec.status.startswith("error: implausible measurement"), rec.status
    lines = [_strict(line) for line in out.read_text().splitlines()]
    assert [line["status"] for line in lines] == [r.status for r in records]
    rc = main(["budget", "check", str(out), "-o", ""])  # the records read back: failures, not a traceback
    assert rc == 1


def test_bench_on_a_phone_with_absurd_timings_ends_in_one_line(fake_adb, clip_path, capsys):  # noqa: F811
    (fake_adb["dir"] / "bm.txt").write_text(ABSURD["p95 = Infinity"])
    tflite = fake_adb["dir"] / "student.tflite"
    tflite.write_bytes(b"TFL3" + bytes(100))
    argv = ["bench", str(tflite), "--clip", str(clip_path), "--iters", "3", "--device", "pixel8"]
    assert main(argv + ["--devices", str(fake_adb["inventory"])]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and len(captured.err.strip().splitlines()) == 1, captured.err
    assert "3 of 3 measurements failed: implausible measurement from pixel8: latency_ms.p95" in captured.err
