"""Every registered student: forward at odd sizes, export-safe ops, ONNX parity."""

import onnx
import pytest
import torch

from stylelite.models.profile import count_macs, count_params
from stylelite.models.registry import STUDENTS, create_student

STUDENT_NAMES = STUDENTS.names()
ALLOWED_OPS = {
    "Conv",
    "Relu",
    "Clip",
    "Resize",
    "Add",
    "Concat",
    "Tanh",
    "Constant",
    "Identity",
    "HardSwish",
    "BatchNormalization",
    "DepthToSpace",  # shufflegen's pixel shuffle: a TFLite builtin, native on NNAPI, GPU and XNNPACK
    # normgen's per-image normalisation: native on NNAPI (INSTANCE_NORMALIZATION) and Core ML; onnx2tf lowers it
    # to MEAN / SQUARED_DIFFERENCE / RSQRT / MUL / ADD builtins for TFLite (tests/export/test_tflite.py)
    "InstanceNormalization",
    "Pad",  # the skip filter's reflect padding (shufflegen_*_sk): TFLite MIRROR_PAD
}
# a style-conditioned student maps its [1, n] style inputs to FiLM vectors (Gemm and friends on vectors)
# and applies them per pixel with a broadcast Mul and Add
STYLE_OPS = {"Mul", "Gemm", "ReduceSum", "Div", "Split", "Unsqueeze", "Reshape", "Max", "Pad"}
STYLE_OPS |= {"Sub"}  # the conditional-norm student blends its drawing with the input by strength: x + s * (y - x)
# normgrade's frame grade: pooled statistics (ReduceMean, Sub, Mul) through an MLP (Gemm) to a colour matrix
# applied as a broadcast product (Reshape, Unsqueeze, Mul, ReduceSum): TFLite MEAN, FULLY_CONNECTED, MUL, SUM
GRADE_OPS = {"ReduceMean", "GlobalAveragePool", "Sub", "Mul", "Pow", "Concat", "Gemm", "Reshape", "Unsqueeze"}
GRADE_OPS |= {"ReduceSum", "Slice", "Add"}


@pytest.mark.parametrize("name", STUDENT_NAMES)
@pytest.mark.parametrize("hw", [(37, 53), (64, 64), (1, 1), (90, 17)])
def test_forward_any_size(name, hw):
    model = create_student(name)
    with torch.no_grad():
        y = model(torch.rand(2, 3, *hw) * 2 - 1)
    assert y.shape == (2, 3, *hw)
    assert torch.isfinite(y).all() and y.abs().max() <= 1.0


@pytest.mark.parametrize("name", STUDENT_NAMES)
def test_sizes_are_ordered_and_small(name):
    model = create_student(name)
    assert 0 < count_params(model) < 2_000_000
    assert 0 < count_macs(model, 256, 256) < 2e9


@pytest.mark.parametrize("name", STUDENT_NAMES)
def test_onnx_export_parity_and_ops(name, tmp_path):
    from stylelite.export.api import export_model
    from stylelite.runtime.engines import load_engine

    res = export_model(name, tmp_path / f"{name}.onnx")
    assert res.verification.passed and res.verification.psnr_db >= 40
    ops = {n.op_type for n in onnx.load(str(res.path)).graph.node}
    allowed = (
        ALLOWED_OPS | (STYLE_OPS if res.metadata.styles else set()) | (GRADE_OPS if "normgrade" in name else set())
    )
    assert ops <= allowed, f"ops outside the mobile-safe set: {ops - allowed}"
    engine = load_engine(res.path)
    assert engine.meta.model == name and engine.meta.params > 0
    assert not (tmp_path / f".{name}.unverified.onnx").exists()
