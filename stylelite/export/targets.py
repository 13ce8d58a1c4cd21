"""Which ONNX ops each deployment target runs natively, and which nodes of a graph it would not.

The tables are ONNX op types (what `stylelite export` writes), compiled by hand from each target's
published op-support lists: the TFLite GPU delegate and NNAPI delegate op lists (after onnx2tf
maps the ONNX op to its TFLite builtin), XNNPACK's operator coverage, and TensorRT's ONNX parser
support matrix. They are conservative: an op missing here may run, but is not promised to run on
the accelerator, so the user is warned that it may fall back to the CPU. Shape plumbing that
converters fold away (Constant, Identity, Shape, ...) is allowed everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stylelite.runtime.errors import UnknownNameError

# folded away by every converter / not executed as a kernel
_STRUCTURAL = frozenset({"Constant", "Identity", "Shape", "Gather", "Unsqueeze", "Squeeze", "Cast", "Reshape"})
_QDQ = frozenset({"QuantizeLinear", "DequantizeLinear"})
_CONV_CORE = frozenset(
    {"Conv", "Relu", "Clip", "Add", "Mul", "Sub", "Concat", "Tanh", "Sigmoid", "BatchNormalization", "Pad"}
)

# what the mobile delegates share beyond _CONV_CORE (each maps to one TFLite builtin after onnx2tf)
_MOBILE_COMMON = frozenset(
    {
        "Resize",
        "HardSwish",
        "LeakyRelu",
        "PRelu",
        "Div",
        "ConvTranspose",
        "AveragePool",
        "MaxPool",
        "GlobalAveragePool",
        "ReduceMean",
        "Softmax",
        "Transpose",
        "DepthToSpace",
        "SpaceToDepth",
    }
)
# NNAPI delegate (Android 10+ feature level): conv, depthwise conv, add/mul/sub/div, concat,
# RESIZE_BILINEAR/NEAREST, TANH, LOGISTIC, RELU/RELU6, HARD_SWISH, PAD, MEAN, pooling, TRANSPOSE_CONV.
_NNAPI = _CONV_CORE | _QDQ | _MOBILE_COMMON
# TFLite GPU delegate (OpenCL/OpenGL): the NNAPI set plus HARD_SIGMOID and SLICE; no InstanceNorm
# kernel (it is decomposed into MEAN/SUB/MUL ops).
_GPU = _NNAPI | frozenset({"HardSigmoid", "Slice"})

NATIVE_OPS: dict[str, frozenset[str]] = {
    "android-gpu": _GPU,
    "android-nnapi": _NNAPI,
    # XNNPACK: convolution (grouped, depthwise), deconvolution, pooling, add/mul/sub/div, clamp (ReLU,
    # ReLU6), HardSwish, Sigmoid, Tanh, LeakyReLU, PReLU, bilinear resize, concat, softmax, transpose.
    # No Pad-reflect, no InstanceNorm, no nearest/bicubic Resize in all builds.
    "xnnpack": (_CONV_CORE - {"BatchNormalization", "Pad"})
    | (_MOBILE_COMMON - {"ReduceMean", "SpaceToDepth"})
    | frozenset({"Gemm", "MatMul"})
    | _QDQ,
    # TensorRT's ONNX parser: nearly the whole opset; listed here is what generators use.
    "tensorrt": _GPU | frozenset({"InstanceNormalization", "Gemm", "MatMul", "Pow", "Sqrt", "Exp", "Upsample"}),
}

# ops a student option can avoid: op -> hint
AVOID_HINT = {
    "InstanceNormalization": "use a BatchNorm student (mobilegen_*), BatchNorm folds into the convs at export",
    "ConvTranspose": "use resize-then-conv upsampling (mobilegen_* UpBlock)",
    "Pad": "pad with the conv's own zero padding instead of a reflection-pad layer",
}


@dataclass(frozen=True)
class TargetReport:
    target: str
    unsupported: dict[str, list[str]]  # op type -> names of the nodes that use it

    @property
    def ok(self) -> bool:
        return not self.unsupported

    def format(self) -> str:
        if self.ok:
            return f"{self.target}: every op runs natively"
        lines = [f"{self.target}: {sum(map(len, self.unsupported.values()))} node(s) may fall back to the CPU"]
        for op, nodes in sorted(self.unsupported.items()):
            shown = ", ".join(nodes[:4]) + (f", ... ({len(nodes)} in all)" if len(nodes) > 4 else "")
            hint = f"  [{AVOID_HINT[op]}]" if op in AVOID_HINT else ""
            lines.append(f"  {op:<22} {shown}{hint}")
        return "\n".join(lines)


def check_target(model, target: str) -> TargetReport:
    """The ops of `model` (an ONNX path or ModelProto) that `target` does not run natively."""
    import onnx

    if target not in NATIVE_OPS:
        raise UnknownNameError(f"unknown target {target!r} (known: {', '.join(NATIVE_OPS)})")
    proto = onnx.load(str(model)) if isinstance(model, (str, Path)) else model
    native = NATIVE_OPS[target] | _STRUCTURAL
    bad: dict[str, list[str]] = {}
    for node in proto.graph.node:
        if node.op_type not in native or node.domain not in ("", "ai.onnx"):
            bad.setdefault(node.op_type, []).append(node.name or node.output[0])
    return TargetReport(target, bad)


TARGETS = tuple(NATIVE_OPS)
