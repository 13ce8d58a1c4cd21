"""Pads and pixel shuffles of an int8 graph run on its quantized tensors (export/int8_data_moves.py): the same
output bit for bit, fewer float ops; a Pad the rewrite cannot prove exact is left alone."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from stylelite.export.int8_data_moves import run_moves_on_bytes


def _graph(pad_mode: str, out_scale: float) -> onnx.ModelProto:
    """uint8 x -> DQ -> Pad(mode) -> Q(out_scale) -> DQ -> DepthToSpace -> float y."""
    inits = [
        numpy_helper.from_array(np.array(1 / 255, np.float32), "s"),
        numpy_helper.from_array(np.array(0, np.uint8), "z"),
        numpy_helper.from_array(np.array(out_scale, np.float32), "s2"),
        numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads"),
    ]
    nodes = [
        helper.make_node("DequantizeLinear", ["x", "s", "z"], ["xf"], name="dq_in"),
        helper.make_node("Pad", ["xf", "pads"], ["pf"], mode=pad_mode, name="pad"),
        helper.make_node("QuantizeLinear", ["pf", "s2", "z"], ["pq"], name="q_pad"),
        helper.make_node("DequantizeLinear", ["pq", "s2", "z"], ["pdq"], name="dq_pad"),
        helper.make_node("DepthToSpace", ["pdq"], ["y"], blocksize=2, mode="CRD", name="shuffle"),
    ]
    graph = helper.make_graph(
        nodes,
        "moves",
        [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 12, 5, 7])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 14, 18])],
        inits,
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def _run(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"x": x})[0]


@pytest.mark.parametrize("mode", ["reflect", "edge"])
def test_a_pixel_pad_and_the_output_shuffle_run_on_bytes_bit_for_bit(mode):
    x = np.random.default_rng(0).integers(0, 256, (1, 12, 5, 7), dtype=np.uint8)
    before = _graph(mode, 1 / 255)
    after = _graph(mode, 1 / 255)
    assert run_moves_on_bytes(after) == ["pad", "shuffle"]
    onnx.checker.check_model(after)
    ops = [n.op_type for n in after.graph.node]
    assert ops == ["Pad", "DepthToSpace", "DequantizeLinear"]  # nothing dequantized before the last op
    np.testing.assert_array_equal(_run(after, x), _run(before, x))


@pytest.mark.parametrize("mode, scale", [("constant", 1 / 255), ("reflect", 2 / 255)])
def test_a_pad_that_would_change_the_bytes_stays_float(mode, scale):
    model = _graph(mode, scale)
    assert run_moves_on_bytes(model) == ["shuffle"]  # constant padding or another grid: not a pure move
    assert [n.op_type for n in model.graph.node][:3] == ["DequantizeLinear", "Pad", "QuantizeLinear"]
