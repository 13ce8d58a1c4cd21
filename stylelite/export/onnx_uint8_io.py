"""ONNX int8 with uint8 pixels in and out (`export --int8 --onnx-io uint8`): the decoded frame goes in as it is.

An int8 QDQ graph of a student whose pixels sit on exact uint8 steps (models/unit_range.py: input quantized with
scale 1/255 and zero point 0, output dequantized the same way) starts by quantizing its float input to exactly the
frame's bytes and ends by dequantizing bytes that the runtime turns back into bytes. Both ends are removed here:
the graph takes the uint8 RGB frame as decoded ([1, H, W, 3], NHWC) and returns uint8 RGB [1, H, W, 3], with one
uint8 Transpose at each end. The pixels are bit for bit the float-I/O artifact's; what goes is the float
conversions on either side (at 1280x720, about 2.6 ms before and 2.1 ms after each frame on two cores) and the
quantize/dequantize passes inside.
"""

from __future__ import annotations

import numpy as np

from stylelite.runtime.errors import ExportError

ONNX_IO = ("float32", "uint8")
UNIT_SCALE = 1.0 / 255.0


def _constant(inits: dict, name: str) -> np.ndarray | None:
    from onnx import numpy_helper

    return numpy_helper.to_array(inits[name]) if name in inits else None


def _on_byte_steps(node, inits: dict) -> bool:
    """A (De)QuantizeLinear whose uint8 grid is the pixels' own: scale 1/255, zero point 0."""
    scale = _constant(inits, node.input[1])
    zero = _constant(inits, node.input[2]) if len(node.input) > 2 else None
    return (
        scale is not None
        and scale.size == 1
        and abs(float(scale.reshape(-1)[0]) - UNIT_SCALE) <= 1e-6 * UNIT_SCALE
        and zero is not None
        and zero.dtype == np.uint8
        and int(zero.reshape(-1)[0]) == 0
    )


def to_uint8_io(proto, model: str):
    """`proto` (an int8 QDQ ModelProto of one image input and one image output) rewritten to take and return uint8
    NHWC frames; ExportError naming what is missing when its pixels are not on uint8 steps."""
    from onnx import TensorProto, helper

    graph = proto.graph
    if len(graph.input) != 1 or len(graph.output) != 1:
        raise ExportError(
            f"--onnx-io uint8 takes a graph of one image input and one output; {model} has {len(graph.input)} "
            f"inputs and {len(graph.output)} outputs (a style-conditioned or recurrent student): export it with "
            "float I/O"
        )
    inits = {t.name: t for t in graph.initializer}
    name_in, name_out = graph.input[0].name, graph.output[0].name
    readers = [n for n in graph.node if name_in in n.input]
    writer = next((n for n in graph.node if name_out in n.output), None)
    quantize = readers[0] if len(readers) == 1 and readers[0].op_type == "QuantizeLinear" else None
    dequantize = writer if writer is not None and writer.op_type == "DequantizeLinear" else None
    if not (quantize and dequantize and _on_byte_steps(quantize, inits) and _on_byte_steps(dequantize, inits)):
        raise ExportError(
            f"--onnx-io uint8 needs an int8 graph whose pixels are exact uint8 steps (scale 1/255, zero point 0 at "
            f"both ends); {model}'s are not (ShuffleGen students exported with --int8 have them): export it with "
            "float I/O"
        )
    graph.node.remove(quantize)
    graph.node.remove(dequantize)
    # the frame's bytes are the quantized input; the quantized output is the frame's bytes
    graph.node.insert(
        0, helper.make_node("Transpose", [name_in], [quantize.output[0]], perm=[0, 3, 1, 2], name="uint8_io/to_nchw")
    )
    graph.node.append(
        helper.make_node("Transpose", [dequantize.input[0]], [name_out], perm=[0, 2, 3, 1], name="uint8_io/to_nhwc")
    )
    for value, dims in ((graph.input[0], (1, "height", "width", 3)), (graph.output[0], (1, "height", "width", 3))):
        shape = [d.dim_value or d.dim_param for d in value.type.tensor_type.shape.dim]
        if len(shape) == 4 and shape[2] and shape[3]:  # a fixed-size graph keeps its size
            dims = (shape[0] or 1, shape[2], shape[3], shape[1] or 3)
        value.CopyFrom(helper.make_tensor_value_info(value.name, TensorProto.UINT8, list(dims)))
    return proto
