"""fp32 / fp16 / int8 ONNX export of every registered student: verified round trips, metadata, targets."""

import onnx
import pytest
from onnx import TensorProto, helper

from stylelite.export.api import export_model
from stylelite.export.targets import TARGETS, check_target
from stylelite.models.registry import STUDENTS, create_student
from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ConfigError, ExportError, UnknownNameError
from tests.conftest import make_photo, run_cli


@pytest.fixture(scope="module")
def real_frames():
    from stylelite.runtime.synthetic import make_camera_clip

    return make_camera_clip(make_photo(seed=3), frames=12, size=(96, 72))


@pytest.mark.parametrize("name", STUDENTS.names())
@pytest.mark.parametrize("precision", ["fp16", "int8"])
def test_every_student_exports_to_every_precision(name, precision, real_frames, tmp_path):
    card = create_student(name).card
    if precision == "int8" and (card.recurrent or card.styles):
        # calibration cannot feed the carried state; activation ranges change with the style
        with pytest.raises(ExportError, match="recurrent" if card.recurrent else "style-conditioned"):
            export_model(name, tmp_path / "m.onnx", precision=precision, calib=real_frames)
        assert not list(tmp_path.iterdir())
        return
    res = export_model(name, tmp_path / "m.onnx", precision=precision, calib=real_frames)
    v = res.verification
    assert v.passed and v.precision == precision and v.frames >= 1
    meta = load_engine(res.path).meta
    assert meta.precision == precision and meta.opset == 17 and meta.simplified_by.startswith("onnxslim")
    ops = {n.op_type for n in onnx.load(str(res.path)).graph.node}
    if precision == "int8":
        assert {"QuantizeLinear", "DequantizeLinear"} <= ops
        q = meta.quantization
        assert q["scheme"] == "QDQ" and "per-channel" in q["weights"] and "per-tensor" in q["activations"]
        unit = name.startswith("shufflegen")  # ShuffleGen's int8 takes [0, 1] pixels (models/unit_range.py)
        assert meta.input_range == ((0.0, 1.0) if unit else (-1.0, 1.0))
        assert q["calibration"]["frames"] == 9 and q["input"]["zero_point"] == (0 if unit else 128)
    else:
        assert meta.quantization["dtype"] == "float16" and meta.quantization["io"] == "float32"
        graph = onnx.load(str(res.path)).graph
        assert graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT  # the runtime still feeds fp32
        assert any(t.data_type == TensorProto.FLOAT16 for t in graph.initializer)
    assert not list(tmp_path.glob(".*unverified*"))


def test_int8_needs_real_calibration_data(tmp_path):
    with pytest.raises(ConfigError, match="int8 needs real calibration frames: add --calib"):
        export_model("mobilegen_s_025", tmp_path / "m.onnx", precision="int8")


def test_static_int8_calibrates_at_its_size(real_frames, tmp_path):
    res = export_model(
        "mobilegen_s_025", tmp_path / "s.onnx", precision="int8", calib=real_frames, dynamic=False, sample_size=64
    )
    meta = load_engine(res.path).meta
    assert (meta.height, meta.width) == (64, 64) and res.verification.passed


def _graph_with(op: str) -> onnx.ModelProto:
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], name="/stem/conv"),
        helper.make_node(op, ["c"], ["y"], name="/blocks.0/norm/" + op),
    ]
    w = helper.make_tensor("w", TensorProto.FLOAT, [3, 3, 1, 1], [0.0] * 9)
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 4, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])],
        [w],
    )
    return helper.make_model(graph)


@pytest.mark.parametrize("target", TARGETS)
def test_target_lists_unsupported_ops_with_node_names(target):
    report = check_target(_graph_with("Erf"), target)
    assert not report.ok and report.unsupported == {"Erf": ["/blocks.0/norm/Erf"]}
    assert "/blocks.0/norm/Erf" in report.format() and "fall back to the CPU" in report.format()
    assert check_target(_graph_with("Relu"), target).ok


def test_target_hint_names_the_student_option():
    text = check_target(_graph_with("InstanceNormalization"), "android-gpu").format()
    assert "InstanceNormalization" in text and "BatchNorm student" in text


def test_unknown_target_is_refused():
    with pytest.raises(UnknownNameError, match="unknown target 'tpu'"):
        check_target(_graph_with("Relu"), "tpu")


def test_cli_int8_with_calib_video_and_target(clip_path, tmp_path):
    out = tmp_path / "s8.onnx"
    r = run_cli("export", "mobilegen_s_025", "--int8", "--calib", str(clip_path), "-o", str(out), "--target", "xnnpack")
    assert r.returncode == 0, r.stderr
    assert "int8" in r.stdout and "calibrated on 6 frames" in r.stdout and "xnnpack: every op runs natively" in r.stdout
    assert load_engine(out).meta.quantization["calibration"]["source"] == str(clip_path)
    r = run_cli("export", "mobilegen_s_025", "--int8", "-o", str(out))
    assert r.returncode == 1 and "--calib" in r.stderr and "Traceback" not in r.stderr
