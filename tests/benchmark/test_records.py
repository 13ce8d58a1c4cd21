"""Records: BenchRecord.from_dict reads back what to_dict writes, and older or hand-written JSON lines."""

from __future__ import annotations

import json

import pytest

from stylelite.benchmark.records import BenchRecord, read_bench_records
from stylelite.runtime.errors import InputError
from tests.conftest import ROOT


def _full_record() -> BenchRecord:
    return BenchRecord(
        model="mobilegen_s_050", artifact="/a/student.onnx", format="onnx", precision="int8", engine="onnxruntime",
        size_mb=0.41, params=62171, gmacs_256=0.28, width=320, height=240, threads=2, frames=40,
        latency_ms={"p50": 6.5, "p90": 6.8, "p99": 9.3, "mean": 6.6, "n": 40}, fps=151.5, peak_rss_mb=410.0,
        model_memory_mb=54.0, flicker=0.00044, flicker_floor=0.00034, flicker_per_frame=[0.0004, 0.0005],
        fidelity_psnr_db=24.89, fidelity_ssim=0.734, reference="/a/teacher.onnx",
        extra_latency={"640x480": {"p50": 30.3, "p90": 32.2, "fps": 32.5}}, runtime_memory_mb=55.0,
        device={"device": "jetson", "kind": "ssh", "cores": 6}, status="ok", parity_psnr_db=48.2,
        timestamp=1733.5, tof=0.175, tof_floor=0.033, latency_samples_ms=[6.41, 6.52], retries=1,
    )  # fmt: skip


def test_from_dict_round_trips_to_dict_and_a_json_line():
    rec = _full_record()
    assert BenchRecord.from_dict(rec.to_dict()) == rec
    assert BenchRecord.from_dict(json.loads(json.dumps(rec.to_dict()))) == rec


def test_from_dict_reads_older_lines_with_their_fields_missing():
    """reports/reference/demo/bench.jsonl predates tOF, per-frame samples and retries."""
    old = read_bench_records([ROOT / "stylelite" / "reports" / "reference" / "demo" / "bench.jsonl"])
    assert [r.model for r in old] == ["cyclegan_r9_bn", "mobilegen_s_050"]
    assert all(r.tof is None and r.latency_samples_ms == [] and r.retries == 0 for r in old)
    assert old[1].latency_ms["p90"] > 0 and old[1].fidelity_psnr_db > 0


def test_from_dict_marks_what_a_line_does_not_hold_as_not_measured():
    rec = BenchRecord.from_dict({"model": "m", "artifact": "/x/m.onnx", "device": None, "latency_ms": None,
                                 "flicker": None, "a_field_from_a_newer_version": 1})  # fmt: skip
    assert rec.size_mb is None and rec.flicker is None and rec.model_memory_mb is None and rec.fps == 0.0
    assert rec.device == {} and rec.latency_ms == {} and rec.flicker_per_frame == [] and rec.status == "ok"
    assert rec.engine == "-" and rec.frames == 0
    assert BenchRecord.from_dict({}).flicker_per_frame is not BenchRecord.from_dict({}).flicker_per_frame


def test_pipeline_records_are_not_bench_records(tmp_path):
    pipeline = {"kind": "pipeline", "model": "s.onnx", "size": "854x480", "offline_ratio": 0.93}
    with pytest.raises(InputError, match="s.onnx: a pipeline record"):
        BenchRecord.from_dict(pipeline)
    lines = tmp_path / "mixed.jsonl"
    lines.write_text(json.dumps(_full_record().to_dict()) + "\n" + json.dumps(pipeline) + "\n")
    assert read_bench_records([lines]) == [_full_record()]
