"""Benchmark timing rules (no timing assertions: the machine is shared and noisy)."""

import pytest

from device_tests.bench import _time_calls, parse_size
from runtime.errors import ConfigError


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
    from device_tests.memory_probe import model_memory_mb
    from runtime.errors import DeviceError

    mem = model_memory_mb(student_onnx, 64, 48, frames=1)
    assert mem["runtime_mb"] > 0 and mem["peak_mb"] >= mem["runtime_mb"] and mem["model_mb"] >= 0
    with pytest.raises(DeviceError, match="nope.onnx"):
        model_memory_mb(tmp_path / "nope.onnx", 64, 48)
