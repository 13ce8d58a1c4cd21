"""int8 ShuffleGen artifacts take and return [0, 1] pixels: the same picture, on uint8 grids that hold every byte."""

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

from stylelite.export.api import export_model
from stylelite.models.registry import create_student
from stylelite.models.tensors import run_model
from stylelite.models.unit_range import to_unit_range, unit_rangeable
from stylelite.runtime.engines import load_engine
from tests.conftest import make_photo


def _trained_like_student():
    torch.manual_seed(0)
    net = create_student("shufflegen_t_038").eval()
    with torch.no_grad():
        net.head.weight.mul_(50)  # a head that draws, not the identity it starts at
        net.head.bias.normal_(0, 0.1)
    net.set_activation_bounds({"stem": [0, 3.0], "head": [-0.4, 0.3], "blocks.0.stream": [-2.0, 2.5]})
    return net


def test_folding_to_unit_pixels_keeps_the_picture():
    net = _trained_like_student()
    unit = to_unit_range(net)
    x = torch.from_numpy(make_photo(64, 96, seed=3)).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        a = net(x * 2 - 1)
        b = unit(x) * 2 - 1
    assert float((a - b).abs().max()) < 1e-5
    assert float(a.abs().sub(1).abs().min()) < 1e-6  # the output clip is reached, so its fold is tested too
    assert unit.bounds["head"] == pytest.approx((-0.2, 0.15)) and net.bounds["head"] == (-0.4, 0.3)
    assert unit.pixel_range == (0.0, 1.0) and net.pixel_range == (-1.0, 1.0)  # the caller's model is untouched


def test_only_shufflegen_on_signed_pixels_folds():
    assert unit_rangeable(create_student("shufflegen_s_050"))
    assert not unit_rangeable(create_student("normgen_t_050"))
    with pytest.raises(ValueError, match="cannot be folded"):
        to_unit_range(create_student("mobilegen_s_050"))
    with pytest.raises(ValueError, match="cannot be folded"):
        to_unit_range(to_unit_range(create_student("shufflegen_t_038")))


def _pixel_grids(path):
    model = onnx.load(str(path))
    init = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    grids = {}
    for node in model.graph.node:
        if node.op_type == "QuantizeLinear" and ("image" == node.input[0] or "stylized" in node.input[0]):
            grids["in" if node.input[0] == "image" else "out"] = (float(init[node.input[1]]), int(init[node.input[2]]))
    return grids


def test_int8_export_runs_on_exact_byte_grids_and_fp32_keeps_signed_pixels(tmp_path):
    from stylelite.distill.photos import builtin_photos

    calib = list(builtin_photos("train").values())
    int8 = export_model("shufflegen_t_050.cartoon", tmp_path / "i.onnx", precision="int8", calib=calib)
    fp32 = export_model("shufflegen_t_050.cartoon", tmp_path / "f.onnx")
    assert int8.metadata.input_range == (0.0, 1.0) and int8.metadata.output_range == (0.0, 1.0)
    assert fp32.metadata.input_range == (-1.0, 1.0)
    grids = _pixel_grids(int8.path)
    assert grids["in"] == (pytest.approx(1 / 255), 0) and grids["out"] == (pytest.approx(1 / 255), 0)
    from stylelite.models.load import load_model

    frame = next(iter(builtin_photos("heldout").values()))
    reference = run_model(load_model("shufflegen_t_050.cartoon").model.eval(), frame)
    got = load_engine(int8.path).stylize(frame)
    assert np.abs(got.astype(int) - reference.astype(int)).mean() < 2.5  # measured 1.86 grey levels (2.03 on [-1, 1])


def test_folding_a_skip_filter_keeps_the_picture():
    torch.manual_seed(1)
    net = create_student("shufflegen_t_050_sk").eval()
    with torch.no_grad():
        net.head.weight.mul_(50)
        net.skip.kernel.add_(torch.rand_like(net.skip.kernel) * 0.01)  # sums above 1: the offset must take it
    net.set_activation_bounds({"skip": [-1.1, 1.2], "head": [-0.4, 0.3]})
    unit = to_unit_range(net)
    x = torch.from_numpy(make_photo(64, 96, seed=4)).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        a = net(x * 2 - 1)
        b = unit(x) * 2 - 1
        skipped = unit.skipped(x)
    assert float((a - b).abs().max()) < 1e-5
    assert unit.bounds["skip"] == pytest.approx((-0.05, 1.1)) and float(skipped.max()) == pytest.approx(1.1)
    assert float(net.skip.offset.abs().max()) == 0  # the caller's model is untouched
