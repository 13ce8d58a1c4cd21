"""The one timing loop (no timing assertions: the machine is shared and noisy)."""

import pytest

from stylelite.benchmark.timing import MAX_LATENCY_SAMPLES, latency_samples_ms, percentiles_ms, time_calls


def test_time_calls_warms_up_then_takes_at_least_the_minimum():
    calls = []
    samples = time_calls(lambda i: calls.append(i), warmup=2, min_iters=3, min_seconds=0.0).seconds
    assert len(samples) == 3 and len(calls) == 5
    assert all(s >= 0 for s in samples)


def test_time_calls_keeps_sampling_a_fast_call_until_the_time_is_up():
    samples = time_calls(lambda i: None, warmup=0, min_iters=1, min_seconds=0.05, max_iters=50).seconds
    assert len(samples) == 50  # a no-op call hits the cap long before 50 ms


def test_time_calls_passes_indices_keeps_the_first_outputs_and_hooks_outside_the_timing():
    events = []
    timing = time_calls(
        lambda i: events.append(("call", i)) or i * 10,
        warmup=2,
        min_iters=4,
        keep=3,
        after_warmup=lambda: events.append(("reset",)),
        after_call=lambda i: events.append(("done", i)),
    )
    assert events[:3] == [("call", 0), ("call", 0), ("reset",)]  # warm-up calls get index 0
    assert events[3:] == [e for i in range(4) for e in (("call", i), ("done", i))]
    assert timing.kept == [0, 10, 20] and len(timing.seconds) == 4
    assert timing.fps > 0 and timing.latency_ms["n"] == 4 and len(timing.samples_ms) == 4


def test_percentiles_are_in_ms():
    lat = percentiles_ms([0.001, 0.002, 0.003])
    assert lat["p50"] == pytest.approx(2.0) and lat["mean"] == pytest.approx(2.0) and lat["n"] == 3
    assert lat["p90"] <= lat["p99"] <= 3.0 + 1e-9


def test_latency_samples_are_kept_in_ms_capped_and_rounded():
    kept = latency_samples_ms([0.001] * 10 + [0.0123456] * MAX_LATENCY_SAMPLES)
    assert len(kept) == MAX_LATENCY_SAMPLES == 2000 and set(kept) == {12.35}  # the last 2,000, 0.01 ms
