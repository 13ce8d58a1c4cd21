"""`stylelite search` end to end at tiny sizes, and the front/pick rules on plain points."""

from __future__ import annotations

import json

import pytest

from stylelite.runtime.errors import ConfigError
from stylelite.workflows.pareto import SearchPoint, mark_front, pick


def _point(name, ms, db, flicker=0.01):
    return SearchPoint(name, f"{name}.onnx", 0.1, ms, db, 0.9, flicker)


def test_front_keeps_what_nothing_beats_and_the_pick_respects_the_budget():
    points = [_point("fast", 10, 20), _point("mid", 20, 25), _point("slow", 40, 27), _point("bad", 30, 22)]
    points.append(_point("jittery", 15, 22, flicker=0.5))
    front = mark_front(points)
    assert [p.student for p in front] == ["fast", "jittery", "mid", "slow"]  # bad: mid is faster and better
    assert pick(points, 25).student == "mid" and pick(points, 100).student == "slow"
    assert pick(points, 5).student == "fast"  # nothing fits: the fastest front point
    unmeasured = SearchPoint("x", "x.onnx", None, None, None, None, None, status="error: no")
    assert not mark_front([unmeasured]) and pick([unmeasured], 10) is None


def test_search_config_is_checked():
    from stylelite.workflows.student_search import SearchConfig

    with pytest.raises(ConfigError, match="budget"):
        SearchConfig(budget_ms=-1)
    with pytest.raises(ConfigError, match="repeat"):
        SearchConfig(candidates=("mobilegen_s_025", "mobilegen_s_025"))
    with pytest.raises(Exception, match="nosuchgen"):
        SearchConfig(candidates=("nosuchgen_s_050",))


def test_search_cli_trains_times_and_picks(tmp_path, clip_path, capsys):
    """Two candidates from one label store, timed side by side with the teacher as the fidelity reference;
    search.json/md and pareto.png are written, and a second run resumes without training again."""
    from stylelite.cli.main import main

    argv = [
        "search", "--teacher", "fast_neural_style", "--random-teacher",
        "--candidates", "shufflegen_t_038", "mobilegen_s_025", "--labels", str(tmp_path / "store"),
        "--label-crops", "8", "--crop", "32", "--steps", "2", "--batch", "4", "--clip", str(clip_path),
        "--size", "64x48", "--frames", "4", "--iters", "3", "--budget-ms", "1000", "--threads", "1",
        "-o", str(tmp_path / "s"),
    ]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "pick:" in printed and "search.md" in printed
    summary = json.loads((tmp_path / "s" / "search.json").read_text())
    points = {p["student"]: p for p in summary["points"]}
    assert set(points) == {"shufflegen_t_038", "mobilegen_s_025"}
    for p in points.values():
        assert p["status"] == "ok" and p["latency_ms"] > 0 and p["fidelity_psnr_db"] > 0 and p["flicker"] >= 0
    assert summary["front"] and summary["pick"] in summary["front"] and summary["pick_fits_budget"]
    assert (tmp_path / "s" / "pareto.png").read_bytes()[:4] == b"\x89PNG"
    assert "| student " in (tmp_path / "s" / "search.md").read_text()
    runs_before = sorted((tmp_path / "s" / "runs").rglob("student.safetensors"))
    assert main(argv) == 0  # resumes: nothing trained or exported again
    assert sorted((tmp_path / "s" / "runs").rglob("student.safetensors")) == runs_before
