"""`stylelite report`: report.md/report.html and plots rebuilt from benchmark JSON lines."""

from __future__ import annotations

import json

from tests.conftest import run_cli


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
