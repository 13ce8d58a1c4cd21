"""The on-device suite: each artifact on the chosen target matches the host, runs, and does not flicker."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def device_records(device_spec, artifacts, device_clip):
    from stylelite.device_tests.remote_bench import bench_devices

    records, host = bench_devices(artifacts, device_clip, [device_spec], iters=10)
    for r in records:
        print(f"{device_spec.name}: {r.artifact} [{r.engine}] {r.status} p90={r.latency_ms.get('p90')} fps={r.fps}")
    return records, host


def test_every_artifact_ran(device_records):
    records, _ = device_records
    assert records and all(r.status.startswith("ok") for r in records), [r.status for r in records]
    assert all(r.device.get("device") for r in records)


def test_parity_with_the_host(device_records):
    records, _ = device_records
    checked = [r for r in records if r.parity_psnr_db is not None]
    if not checked:
        pytest.skip("the host cannot run these artifacts, so there is nothing to compare against")
    for r in checked:
        floor = 30.0 if r.precision in ("int8", "fp16") else 40.0
        assert r.parity_psnr_db >= floor, f"{r.artifact} [{r.engine}]: {r.parity_psnr_db:.1f} dB < {floor} dB"


def test_fps(device_records, request):
    records, _ = device_records
    min_fps = request.config.getoption("--min-fps")
    for r in records:
        assert r.fps > max(min_fps, 0.0), f"{r.artifact} [{r.engine}]: {r.fps:.1f} FPS"


def test_flicker_is_measured_and_bounded(device_records):
    records, host = device_records
    scored = [r for r in records if r.flicker is not None]
    assert scored, "no artifact produced frames to score"
    for r in scored:
        assert len(r.flicker_per_frame) == len(host.frames) - 1
        assert r.flicker < 10 * max(host.floor, 1e-4), f"{r.artifact}: flicker {r.flicker:.5f}"
