"""`stylelite bench` with one model it cannot load (issue 15, item 25): the others are still measured and
kept, the bad one gets an error record and row, and the command ends with one line and exit 1."""

from __future__ import annotations

import json

from stylelite.benchmark.records import read_bench_records
from stylelite.cli.main import main


def test_one_unloadable_model_does_not_discard_the_others(student_onnx, clip_path, tmp_path, capsys):
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"\x08\x07 this is not an onnx model" * 40)
    out = tmp_path / "bench.jsonl"
    argv = ["bench", str(garbage), str(student_onnx), "--clip", str(clip_path), "--iters", "4", "--warmup", "1"]
    rc = main(argv + ["--out", str(out)])
    captured = capsys.readouterr()
    assert rc == 1
    assert "Traceback" not in captured.err
    err = [line for line in captured.err.splitlines() if line.startswith("stylelite bench")]  # not the progress bars
    assert len(err) == 1 and "garbage.onnx" in err[0] and "1 of 2 models failed" in err[0], captured.err
    rows = {line.split()[0]: line for line in captured.out.splitlines() if line.split()[:1]}
    assert "error" in rows["garbage.onnx"] and rows[student_onnx.name].rstrip().endswith("ok")
    records = read_bench_records([out])  # both kept, in order, strictly readable
    assert [r.status.split(":")[0] for r in records] == ["error", "ok"]
    assert records[1].fps > 0 and records[1].flicker is not None and "not a loadable ONNX" in records[0].status

    rc = main(argv + ["--json"])
    captured = capsys.readouterr()
    assert rc == 1 and len(captured.err.strip().splitlines()) == 1  # --json: no progress bars
    assert [r["status"].split(":")[0] for r in json.loads(captured.out)] == ["error", "ok"]


def test_an_unloadable_reference_keeps_the_measured_models(student_onnx, clip_path, tmp_path):
    from stylelite.benchmark.host_bench import bench

    garbage = tmp_path / "teacher.onnx"
    garbage.write_bytes(b"not onnx")
    run = bench([student_onnx], clip_path, reference=garbage, iters=3, warmup=1, progress=False)
    assert [r.status.split(":")[0] for r in run.records] == ["ok", "error"]
    assert run.records[0].fidelity_psnr_db is None and run.records[0].fps > 0
