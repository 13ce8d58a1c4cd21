"""The host benchmark on a real clip and artifact (no timing assertions: the machine is shared and noisy)."""

import importlib.util

import pytest

from stylelite.runtime.errors import ConfigError
from stylelite.runtime.pipeline import parse_size


def test_parse_size_says_how_to_write_it():
    assert parse_size("640x480") == (640, 480)
    with pytest.raises(ConfigError, match="WIDTHxHEIGHT"):
        parse_size("640*480")


def test_memory_probe_measures_a_model_in_a_fresh_process(student_onnx, tmp_path):
    from stylelite.benchmark.memory_probe import model_memory_mb
    from stylelite.runtime.errors import DeviceError

    mem = model_memory_mb(student_onnx, 64, 48, frames=1)
    assert mem["runtime_mb"] > 0 and mem["peak_mb"] >= mem["runtime_mb"] and mem["model_mb"] >= 0
    with pytest.raises(DeviceError, match="nope.onnx"):
        model_memory_mb(tmp_path / "nope.onnx", 64, 48)


def test_bench_records_keep_per_frame_latencies_and_the_report_draws_them(student_onnx, clip_path, tmp_path):
    from stylelite.benchmark.host_bench import bench, format_table
    from stylelite.benchmark.records import read_bench_records
    from stylelite.reports.report import write_report

    run = bench([student_onnx], clip_path, iters=10, min_seconds=0.0, progress=False, out=tmp_path / "b.jsonl")
    (rec,) = run.records
    assert len(rec.latency_samples_ms) == rec.latency_ms["n"] == 10 and min(rec.latency_samples_ms) > 0
    assert rec.to_dict()["latency_samples_ms"] == rec.latency_samples_ms and rec.retries == 0
    assert '"latency_samples_ms": [' in (tmp_path / "b.jsonl").read_text()
    assert read_bench_records([tmp_path / "b.jsonl"]) == [rec]  # the JSON line reads back as the record
    head, rule, row, *notes = format_table(run.records).splitlines()
    assert head.split()[:3] == ["model", "format", "precision"] and set(rule) <= {"-", " "}
    assert row.startswith("student.onnx") and row.split()[-1] == "ok" and notes[0].startswith("flicker floor")
    write_report(tmp_path / "rep", run, "bench")
    assert (tmp_path / "rep" / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bench_times_the_dense_conv_ceiling_beside_each_model(student_onnx, clip_path):
    """Each record: achieved GMAC/s (MACs of a clip frame / p50) and its share of the dense-conv reference's
    GMAC/s, timed in the same run with the same engine and precision; the table shows both."""
    from stylelite.benchmark.ceiling import achieved_gmacs_per_s
    from stylelite.benchmark.host_bench import bench, format_table

    (rec,) = bench([student_onnx], clip_path, iters=6, min_seconds=0.0, progress=False).records
    assert rec.gmacs_per_s == pytest.approx(
        achieved_gmacs_per_s(rec.gmacs_256, rec.width, rec.height, rec.latency_ms["p50"])
    )
    assert rec.ceiling_gmacs_per_s > 0 and rec.ceiling_ratio == pytest.approx(rec.gmacs_per_s / rec.ceiling_gmacs_per_s)
    table = format_table([rec])
    assert "GMAC/s" in table.splitlines()[0] and "% ceil" in table.splitlines()[0]
    assert "dense-conv ceiling GMAC/s" in table and f"onnx fp32 {rec.ceiling_gmacs_per_s:.1f}" in table
    (off,) = bench([student_onnx], clip_path, iters=3, min_seconds=0.0, progress=False, ceiling=False).records
    assert off.ceiling_ratio is None and off.gmacs_per_s > 0


def test_ceiling_references_ship_for_every_format_and_precision():
    """The committed references load, are what export/ceiling_reference.py builds (64->64 dense convs) and
    run; `python -m stylelite.export.ceiling_reference` rebuilds them."""
    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.reference import REFERENCE_ARTIFACTS, reference_artifact

    for (fmt, precision), (name, size) in REFERENCE_ARTIFACTS.items():
        path = reference_artifact(f".{fmt}", precision)
        if fmt == "tflite" and importlib.util.find_spec("ai_edge_litert") is None:
            continue
        assert path is not None and path.name == name, f"{name} is missing: rebuild the references"
        meta = load_engine(path).meta
        assert meta.model == "dense_conv_reference" and meta.precision == precision
        assert meta.gmacs_256 == pytest.approx(0.6291, abs=1e-3)  # four 64->64 3x3 convs at 64x64 and more
        assert (meta.height, meta.width) == ((size, size) if size else (None, None))
