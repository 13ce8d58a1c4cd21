"""Benchmark timing rules (no timing assertions: the machine is shared and noisy)."""

import pytest

from stylelite.device_tests.bench import _time_calls, parse_size
from stylelite.device_tests.remote_runner import MAX_LATENCY_SAMPLES, latency_samples_ms
from stylelite.runtime.errors import ConfigError


def test_time_calls_warms_up_then_takes_at_least_the_minimum():
    calls = []
    samples = _time_calls(lambda: calls.append(1), warmup=2, min_iters=3, min_seconds=0.0)
    assert len(samples) == 3 and len(calls) == 5
    assert all(s >= 0 for s in samples)


def test_time_calls_keeps_sampling_a_fast_call_until_the_time_is_up():
    samples = _time_calls(lambda: None, warmup=0, min_iters=1, min_seconds=0.05, max_iters=50)
    assert len(samples) == 50  # a no-op call hits the cap long before 50 ms


def test_parse_size_says_how_to_write_it():
    assert parse_size("640x480") == (640, 480)
    with pytest.raises(ConfigError, match="WIDTHxHEIGHT"):
        parse_size("640*480")


def test_memory_probe_measures_a_model_in_a_fresh_process(student_onnx, tmp_path):
    from stylelite.device_tests.memory_probe import model_memory_mb
    from stylelite.runtime.errors import DeviceError

    mem = model_memory_mb(student_onnx, 64, 48, frames=1)
    assert mem["runtime_mb"] > 0 and mem["peak_mb"] >= mem["runtime_mb"] and mem["model_mb"] >= 0
    with pytest.raises(DeviceError, match="nope.onnx"):
        model_memory_mb(tmp_path / "nope.onnx", 64, 48)


def test_latency_samples_are_kept_in_ms_capped_and_rounded():
    kept = latency_samples_ms([0.001] * 10 + [0.0123456] * MAX_LATENCY_SAMPLES)
    assert len(kept) == MAX_LATENCY_SAMPLES == 2000 and set(kept) == {12.35}  # the last 2,000, 0.01 ms


def test_bench_records_keep_per_frame_latencies_and_the_report_draws_them(student_onnx, clip_path, tmp_path):
    from stylelite.device_tests.bench import bench
    from stylelite.reports.report import write_report

    run = bench([student_onnx], clip_path, iters=10, min_seconds=0.0, progress=False, out=tmp_path / "b.jsonl")
    (rec,) = run.records
    assert len(rec.latency_samples_ms) == rec.latency_ms["n"] == 10 and min(rec.latency_samples_ms) > 0
    assert rec.to_dict()["latency_samples_ms"] == rec.latency_samples_ms and rec.retries == 0
    assert '"latency_samples_ms": [' in (tmp_path / "b.jsonl").read_text()
    write_report(tmp_path / "rep", run, "bench")
    assert (tmp_path / "rep" / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
