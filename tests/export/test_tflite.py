"""TFLite export of every student family (fp32 / fp16 / int8), its metadata, LiteRT and bench.

One student per family: the widths and depths of a family export the same ops, and each onnx2tf
conversion costs tens of seconds, so converting every registered width would add minutes to CI
without testing another op. Every registered student still exports to ONNX at every precision
(tests/export/test_export_precisions.py)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from stylelite.export.api import export_model
from stylelite.models.registry import STUDENTS, create_student
from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ConfigError, ExportError, InputError
from stylelite.runtime.tflite_file import STYLELITE_METADATA, TFLITE_METADATA, metadata_entries, read_model_metadata
from tests.conftest import make_photo, run_cli

pytestmark = pytest.mark.tflite
pytest.importorskip("onnx2tf")
pytest.importorskip("ai_edge_litert")
SIZE = 64


@pytest.fixture(scope="module")
def real_frames():
    from stylelite.runtime.synthetic import make_camera_clip

    return make_camera_clip(make_photo(seed=3), frames=8, size=(SIZE, SIZE))


@pytest.fixture(scope="module")
def tflite_int8(student_tflite_int8):
    return student_tflite_int8[0]  # mobilegen_s_025 at SIZE, shared with the device tests


def _one_student_per_family() -> list[str]:
    """The smallest student of each family (a recurrent kind counts as a family of its own)."""
    from stylelite.models.profile import count_params

    smallest: dict[tuple, tuple[int, str]] = {}
    for name in STUDENTS.names():
        model = create_student(name)
        key = (model.card.family, bool(model.card.recurrent))
        smallest[key] = min(smallest.get(key, (count_params(model), name)), (count_params(model), name))
    return sorted(name for _, name in smallest.values())


@pytest.mark.parametrize("name", _one_student_per_family())
@pytest.mark.parametrize("precision", ["fp32", pytest.param("fp16", marks=pytest.mark.slow), "int8"])  # fp16: slow
def test_every_student_family_exports_to_tflite(name, precision, real_frames, tmp_path):
    card = create_student(name).card
    if card.recurrent or (card.styles and precision == "int8"):  # ONNX fp32/fp16 (styled: TFLite too), said clearly
        with pytest.raises(ExportError, match="recurrent" if card.recurrent else "style-conditioned"):
            export_model(name, tmp_path / "m.tflite", format="tflite", precision=precision, calib=real_frames,
                         dynamic=False, sample_size=SIZE)  # fmt: skip
        assert not list(tmp_path.iterdir())
        return
    res = export_model(
        name, tmp_path / "m.tflite", format="tflite", precision=precision, calib=real_frames,
        dynamic=False, sample_size=SIZE,
    )  # fmt: skip
    v = res.verification
    assert v.passed and v.precision == precision and v.frames >= 1
    engine = load_engine(res.path)
    assert engine.name == "litert" and engine.meta.precision == precision and engine.meta.layout == "NHWC"
    assert (engine.meta.height, engine.meta.width) == (SIZE, SIZE)
    assert engine.styles == card.styles  # a styled student keeps its style inputs (verified on a blend too)
    if precision == "int8":
        q = engine.meta.quantization
        assert q["io"] == "int8" and q["input"]["dtype"] == "int8" and q["output"]["dtype"] == "int8"
        assert q["input"]["scale"] > 0 and q["calibration"]["frames"] == 6
    assert [p.name for p in tmp_path.iterdir()] == ["m.tflite"]


def test_the_magenta_student_draws_its_styles_in_tflite_as_in_onnx(real_frames, tmp_path):
    """The shipped style-conditioned student in TFLite: each style, and a blend at part strength, as its ONNX
    draws them (onnx2tf's layout probe once swapped H and W of its square maps: 12.8 dB)."""
    from stylelite.runtime.metrics import psnr
    from stylelite.runtime.style_control import StyleControl

    name, fixed = "normgen_styled_t_050.magenta", {"dynamic": False, "sample_size": SIZE}
    tfl = load_engine(export_model(name, tmp_path / "m.tflite", format="tflite", **fixed).path)
    ref = load_engine(export_model(name, tmp_path / "m.onnx", **fixed).path)
    assert len(tfl.styles) == 26 and tfl.styles == ref.styles
    controls = [StyleControl("style_03"), StyleControl("style_17"), StyleControl("style_10", "style_20", 0.3, 0.7)]
    drawn = [[e.stylize(f, c) for f in real_frames[:2]] for c in controls for e in (tfl, ref)]
    for ours, theirs in zip(drawn[::2], drawn[1::2]):
        assert psnr(np.stack(ours), np.stack(theirs)) > 60
    assert psnr(np.stack(drawn[0]), np.stack(drawn[2])) < 20  # two styles, two pictures
    import dataclasses
    import shutil

    from stylelite.export.tflite_metadata import embed_tflite_metadata

    forged = shutil.copyfile(tfl.path, tmp_path / "forged.tflite")  # metadata naming 2 styles on a 26-style graph
    embed_tflite_metadata(forged, dataclasses.replace(tfl.meta, styles=("a", "b")))
    with pytest.raises(ExportError, match="takes 26 style weights but its metadata lists 2 styles; re-export it"):
        load_engine(forged)
    for path in (tfl.path, ref.path):  # inspect names the styles `run --style` takes, in either format
        r = run_cli("inspect", str(path))
        assert r.returncode == 0 and "26 styles (run --style NAME): style_00, style_01" in r.stdout, r.stdout
        assert "exported normgen_styled_t_050.magenta, fp32, 64x64" in r.stdout
    assert "2 styles (run --style NAME): a, b" in run_cli("inspect", str(forged)).stdout  # described, not refused


@pytest.mark.parametrize("io", ["uint8", pytest.param("float32", marks=pytest.mark.slow)])  # int8 I/O: the fixture
def test_int8_io_type_is_chosen_and_recorded(io, real_frames, tmp_path):
    res = export_model(
        "mobilegen_s_025", tmp_path / "m.tflite", format="tflite", precision="int8", calib=real_frames,
        dynamic=False, sample_size=SIZE, tflite_io=io,
    )  # fmt: skip
    q = load_engine(res.path).meta.quantization
    assert q["io"] == io and q["input"]["dtype"] == io and q["output"]["dtype"] == io
    if io == "uint8":
        assert q["input"]["scale"] == pytest.approx(2 / 255, rel=0.05) and q["input"]["zero_point"] in (127, 128)


def test_a_bounded_students_int8_is_quantized_on_its_activation_bounds(real_frames, tmp_path):
    """TensorFlow's converter calibrates a conv's raw output and gives the clip chain after it that range; the
    exporter puts each chain on its Clip's own limits, as the student's range QAT trained it
    (export/tflite_bounds.py)."""
    from ai_edge_litert.interpreter import Interpreter

    res = export_model(
        "shufflegen_t_050_sk.cartoon_int8", tmp_path / "sk.tflite", format="tflite", precision="int8",
        calib=real_frames, dynamic=False, sample_size=SIZE, tflite_io="uint8",
    )  # fmt: skip
    assert res.metadata.quantization["bounded_tensors"].startswith("16 clipped chains")
    assert res.verification.psnr_db > 40  # measured 47 dB to PyTorch
    interpreter = Interpreter(model_path=str(res.path))
    tensors = {d["index"]: d for d in interpreter.get_tensor_details()}
    minimums = [op for op in interpreter._get_ops_details() if op["op_name"] == "MINIMUM"]
    assert len(minimums) >= 16
    for op in minimums:
        x, limit = (tensors[i] for i in op["inputs"])
        scale, zero = x["quantization"]
        hi = (int(interpreter.get_tensor(limit["index"]).reshape(-1)[0]) - zero) * scale
        assert tensors[op["outputs"][0]]["quantization"] == (scale, zero) == limit["quantization"]
        assert abs((127 - zero) * scale - hi) <= scale  # the grid ends at the bound: the conv saturates there


def test_metadata_round_trip(tflite_int8):
    entries = metadata_entries(tflite_int8.path)
    assert {TFLITE_METADATA, STYLELITE_METADATA} <= set(entries)
    std = read_model_metadata(entries[TFLITE_METADATA])
    assert std["name"] == "mobilegen_s_025" and std["min_parser_version"] == "1.0.0"
    (inp,) = std["inputs"]
    assert inp["normalization"] == {"mean": [127.5] * 3, "std": [127.5] * 3}
    assert inp["image_properties"] == {"color_space": "RGB", "default_size": (SIZE, SIZE)}
    assert inp["stats"] == {"max": [1.0] * 3, "min": [-1.0] * 3}
    assert std["outputs"][0]["image_properties"]["color_space"] == "RGB"
    meta = json.loads(entries[STYLELITE_METADATA])
    assert meta["model"] == "mobilegen_s_025" and meta["precision"] == "int8" and meta["layout"] == "NHWC"
    assert load_engine(tflite_int8.path).meta.quantization == tflite_int8.metadata.quantization


def test_static_model_refuses_other_sizes(tflite_int8):
    with pytest.raises(InputError, match=f"this model takes {SIZE}x{SIZE} frames, got 80x64"):
        load_engine(tflite_int8.path).stylize(np.zeros((64, 80, 3), np.uint8))


def test_tflite_needs_a_fixed_size_and_leaves_nothing_behind(tmp_path):
    with pytest.raises(ConfigError, match="add --static-size N"):
        export_model("mobilegen_s_025", tmp_path / "m.tflite", format="tflite")
    assert not list(tmp_path.iterdir())


def test_bench_prints_one_table_across_onnx_and_tflite(tflite_int8, tmp_path):
    from stylelite.runtime.synthetic import make_camera_clip
    from stylelite.runtime.video import write_video

    clip = write_video(tmp_path / "c.mp4", make_camera_clip(make_photo(), frames=4, size=(SIZE, SIZE)), fps=10.0)
    onnx = export_model("mobilegen_s_025", tmp_path / "s.onnx").path
    r = run_cli("bench", str(onnx), str(tflite_int8.path), "--clip", str(clip), "--iters", "4")
    assert r.returncode == 0, r.stderr
    rows = [ln.split() for ln in r.stdout.splitlines() if ln.startswith(("s.onnx", "s8.tflite"))]
    assert [row[:3] for row in rows] == [["s.onnx", "onnx", "fp32"], ["s8.tflite", "tflite", "int8"]]
    assert all(row[-1] == "ok" for row in rows)


def test_cli_exports_tflite(real_frames, tmp_path):
    out = tmp_path / "m.tflite"
    r = run_cli("export", "mobilegen_s_025", "--format", "tflite", "--static-size", str(SIZE), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stdout and load_engine(out).meta.precision == "fp32"


def test_cli_exports_at_the_cameras_width_and_height(tmp_path):
    """--static-size WxH: a 4:3 camera's frames run as they come, neither squashed nor padded to a square."""
    from stylelite.runtime.synthetic import make_camera_clip

    out = tmp_path / "m.tflite"
    r = run_cli("export", "shufflegen_t_050.cartoon", "--format", "tflite", "--static-size", "64x48", "-o", str(out))
    assert r.returncode == 0, r.stderr
    engine = load_engine(out)
    assert (engine.meta.width, engine.meta.height) == (64, 48) and engine.meta.layout == "NHWC"
    frame = make_camera_clip(make_photo(seed=2), 1, size=(64, 48))[0]
    assert engine.stylize(frame).shape == (48, 64, 3)
    for bad in ("64x", "4x4", "x48", "abc"):
        r = run_cli("export", "shufflegen_t_050.cartoon", "--format", "tflite", "--static-size", bad, "-o",
                    str(tmp_path / "bad.tflite"))  # fmt: skip
        assert r.returncode != 0 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.tflite"]


TFLITE_SUPPORT_CHECK = """
import json, sys
from tflite_support import metadata
print(metadata.MetadataDisplayer.with_model_file(sys.argv[1]).get_metadata_json())
"""


@pytest.mark.tflite_support
def test_tflite_support_reads_our_metadata(tflite_int8, tmp_path):
    """tflite-support 0.4.4 (protobuf<4) in its own venv reads the TFLITE_METADATA we wrote."""
    venv = Path(os.environ.get("STYLELITE_TFLITE_SUPPORT_VENV", Path.home() / ".cache" / "stylelite-tflite-support"))
    py = venv / "bin" / "python"
    if not py.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q", "tflite-support==0.4.4", "protobuf<4"], check=True, timeout=900
        )
    r = subprocess.run([str(py), "-c", TFLITE_SUPPORT_CHECK, str(tflite_int8.path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    shown = json.loads(r.stdout)
    assert shown["name"] == "mobilegen_s_025"
    norm = shown["subgraph_metadata"][0]["input_tensor_metadata"][0]["process_units"][0]["options"]
    assert norm["mean"] == [127.5] * 3 and norm["std"] == [127.5] * 3


def test_unconvertible_op_names_its_layer_and_the_way_around_it(tmp_path, monkeypatch):
    """When onnx2tf fails on a node, the error names the torch layer it came from and, for ops a
    student avoids, how; nothing is left behind."""
    import sys

    import onnx2tf

    src = export_model("cyclegan_r6", tmp_path / "r6.onnx", dynamic=False, sample_size=64).path
    norm = next(n.name for n in __import__("onnx").load(str(src)).graph.node if n.op_type == "InstanceNormalization")

    def failing_convert(**_kwargs):
        print(f"ERROR: The trace log is below.\nERROR: onnx_op_name: {norm}")  # onnx2tf's error lines
        sys.exit(1)

    monkeypatch.setattr(onnx2tf, "convert", failing_convert)
    with pytest.raises(ExportError, match=r"at layer model\.2 \(op InstanceNormalization.*BatchNorm student"):
        export_model("cyclegan_r6", tmp_path / "r6.tflite", format="tflite", dynamic=False, sample_size=64)
    assert not list(tmp_path.glob("*.tflite"))


def test_target_check_covers_the_graph_a_tflite_file_is_converted_from(tmp_path):
    res = export_model("mobilegen_s_025", tmp_path / "m.tflite", format="tflite", dynamic=False, sample_size=64,
                       target="xnnpack")  # fmt: skip
    assert res.target_report is not None and res.target_report.ok, res.target_report.format()
