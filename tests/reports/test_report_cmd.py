"""`stylelite report`: report.md/report.html and plots rebuilt from benchmark JSON lines."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from tests.conftest import ROOT, run_cli

PNG = b"\x89PNG\r\n\x1a\n"


def test_report_rebuilds_from_records(tmp_path, clip_path, student_onnx):
    recs = []
    for i, (dev, size, psnr) in enumerate([("local", 0.4, 24.0), ("local", 1.1, 27.5), ("jetson", 1.1, 27.4)]):
        recs.append({
            "model": f"mobilegen_s_0{i}", "artifact": str(student_onnx) if i == 0 else f"/gone/s{i}.onnx",
            "format": "onnx", "precision": "fp32", "engine": "onnxruntime", "size_mb": size,
            "latency_ms": {"p50": 10.0 + i, "p90": 12.0 + i, "p99": 15.0 + i}, "fps": 90.0 - 10 * i,
            "flicker": 0.001 * (i + 1), "flicker_floor": 0.015, "flicker_per_frame": [0.001, 0.002, 0.0015],
            "fidelity_psnr_db": psnr, "device": {"device": dev, "kind": "local" if dev == "local" else "ssh"},
            "status": "ok",
        })  # fmt: skip
        if i != 1:  # record 1 keeps percentiles only (as old records, adb and trtexec do)
            recs[-1]["latency_samples_ms"] = [round(10.0 + i + v, 2) for v in np.random.default_rng(i).gamma(2, 1, 300)]
    recs.append({**recs[2], "status": "error: jetson: connection refused", "latency_ms": {}, "flicker": None})
    src = tmp_path / "bench.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in recs) + '{"torn')
    proc = run_cli("report", str(src), "-o", str(tmp_path / "rep"), "--clip", str(clip_path))
    assert proc.returncode == 0, proc.stderr
    rep = tmp_path / "rep"
    md = (rep / "report.md").read_text()
    assert "### local" in md and "### jetson" in md and "connection refused" in md
    for name in ("latency.png", "pareto.png", "flicker.png", "side_by_side.gif", "report.html"):
        assert (rep / name).is_file(), name
    html = (rep / "report.html").read_text()
    assert "<table>" in html and 'src="pareto.png"' in html
    assert "Histogram of per-frame latencies" in md
    assert "Percentiles only (their tools print aggregates): s1 [onnxruntime@local]" in md


def test_latency_plot_is_a_histogram_with_samples_and_bars_without(tmp_path):
    from stylelite.reports.plots import plot_latency

    rng = np.random.default_rng(0)
    lat = {"student [ort@jetson]": {"p50": 9.8, "p90": 11.0, "p99": 14.0},
           "teacher [ort@jetson]": {"p50": 600.0, "p90": 640.0, "p99": 700.0},
           "student [litert-gpu@pixel8]": {"p50": 4.1, "mean": 4.3, "p95": 5.0}}  # fmt: skip
    samples = {
        "student [ort@jetson]": list(rng.normal(10, 1, 500)),
        "teacher [ort@jetson]": list(rng.normal(600, 20, 40)),
    }
    hist = plot_latency(lat, tmp_path / "hist.png", samples)  # wide spread: log x; the phone as p50 lines
    bars = plot_latency(lat, tmp_path / "bars.png")
    narrow = plot_latency(lat, tmp_path / "narrow.png", {"student [ort@jetson]": samples["student [ort@jetson]"]})
    for png in (hist, bars, narrow):
        assert png.read_bytes()[:8] == PNG and png.stat().st_size > 5000
    assert len({hist.read_bytes(), bars.read_bytes(), narrow.read_bytes()}) == 3


def test_report_rebuilds_from_the_committed_reference_records(tmp_path):
    """reports/reference/demo/bench.jsonl predates per-frame samples: the report falls back to percentile bars."""
    src = ROOT / "stylelite" / "reports" / "reference" / "demo" / "bench.jsonl"
    assert not any("latency_samples_ms" in json.loads(line) for line in src.read_text().splitlines() if line.strip())
    proc = run_cli("report", str(src), "-o", str(tmp_path / "rep"))
    assert proc.returncode == 0, proc.stderr
    md = (tmp_path / "rep" / "report.md").read_text()
    assert "![latency](latency.png)" in md and "Percentiles only: these records keep no per-frame latencies" in md
    assert (tmp_path / "rep" / "latency.png").read_bytes()[:8] == PNG
    assert Path(tmp_path / "rep" / "report.html").is_file()
