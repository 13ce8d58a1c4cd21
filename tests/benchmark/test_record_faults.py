"""Malformed benchmark records (issue 15, item 13): `budget check` and `report` answer one line naming the
file, the line number and what is wrong, never a traceback."""

from __future__ import annotations

import json

import pytest

from stylelite.benchmark.records import BenchRecord, read_bench_records
from stylelite.cli.main import main
from stylelite.runtime.errors import InputError

GOOD = {"model": "mobilegen_s_050", "artifact": "/a/student.onnx", "engine": "onnxruntime", "size_mb": 0.8,
        "latency_ms": {"p50": 25.0, "p90": 30.0, "n": 20}, "fps": 40.0, "flicker": 0.0004,
        "device": {"device": "local"}, "status": "ok"}  # fmt: skip

# (the second line of the file, what the one-line message must say)
BAD_LINES = [
    ("[1, 2, 3]", "line 2: a record must be a JSON object, got a list"),
    (json.dumps({**GOOD, "size_mb": "abc"}), r"line 2: size_mb must be a finite number >= 0, got 'abc'"),
    (json.dumps({**GOOD, "device": "local"}), r"line 2: device must be an object .*got 'local'"),
    (json.dumps({**GOOD, "latency_ms": [30.0]}), r"line 2: latency_ms must be an object"),
    (json.dumps({**GOOD, "latency_ms": {"p90": "fast"}}), r"line 2: latency_ms\.p90 must be a finite number >= 0"),
    (json.dumps({**GOOD, "flicker_per_frame": "abc"}), r"line 2: flicker_per_frame must be a list of numbers"),
    (json.dumps({**GOOD, "status": 5}), r"line 2: status must be a string, got 5"),
    (json.dumps({**GOOD, "frames": 2.5}), r"line 2: frames must be a whole number >= 0, got 2.5"),
    (json.dumps({**GOOD, "fps": True}), r"line 2: fps must be a finite number >= 0, got True"),
    (json.dumps({**GOOD, "extra_latency": {"640x480": 3}}), r"line 2: extra_latency\.640x480 must be an object"),
    ('"just a string"', "line 2: a record must be a JSON object, got a string"),
]


def _file(tmp_path, second: str):
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + second + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("line,message", BAD_LINES, ids=[m.split(": ", 1)[1][:30] for _, m in BAD_LINES])
def test_a_malformed_record_names_its_file_and_line(tmp_path, line, message):
    path = _file(tmp_path, line)
    with pytest.raises(InputError, match=rf"^{path}:{message.split('line ', 1)[1].split(':', 1)[0]}: "):
        read_bench_records([path])
    with pytest.raises(InputError, match=message.replace("line 2: ", "")):
        read_bench_records([path])


@pytest.mark.parametrize("verb", ["budget", "report"])
@pytest.mark.parametrize("line,message", BAD_LINES[:4], ids=["list", "size_mb", "device", "latency"])
def test_budget_check_and_report_print_one_line_for_a_malformed_record(tmp_path, capsys, verb, line, message):
    path = _file(tmp_path, line)
    argv = (
        ["budget", "check", str(path), "-o", ""]
        if verb == "budget"
        else ["report", str(path), "-o", str(tmp_path / "r")]
    )
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert f"{path}:2: " in err and message.split(": ", 1)[1].split(" ")[0] in err
    assert not (tmp_path / "r").exists()  # nothing half-written


def test_records_that_are_not_utf8_are_one_line(tmp_path, capsys):
    path = tmp_path / "bench.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n\xff\xfe{bad bytes}\n")
    with pytest.raises(InputError, match=rf"^{path}:2: not UTF-8 text"):
        read_bench_records([path])
    assert main(["budget", "check", str(path), "-o", ""]) == 1
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_torn_last_line_is_still_skipped(tmp_path):
    """An interrupted append leaves a partial last line; the records before it stand."""
    path = tmp_path / "bench.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps(GOOD)[:40])
    assert [r.model for r in read_bench_records([path])] == ["mobilegen_s_050"]


def test_out_of_range_measurements_are_refused(tmp_path):
    """Item 24: a record holding flicker = -1 (or an infinite latency) is not a measurement."""
    for key, value, message in [
        ("flicker", -1, r"flicker must be a finite number >= 0, got -1"),
        ("fps", float("inf"), r"fps must be a finite number >= 0, got inf"),
        ("latency_ms", {"p90": -3.0}, r"latency_ms\.p90 must be a finite number >= 0, got -3.0"),
        ("fidelity_ssim", 1.5, r"fidelity_ssim must be a number in \[-1, 1\], got 1.5"),
    ]:
        with pytest.raises(InputError, match=message):
            BenchRecord.from_dict({**GOOD, key: value})
    path = tmp_path / "inf.jsonl"
    path.write_text(json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "latency_ms": {"p95": float("inf")}}) + "\n")
    with pytest.raises(InputError, match=rf"{path}:2: latency_ms\.p95 must be a finite number >= 0, got inf"):
        read_bench_records([path])
