"""The skip filter folded into the head's channels (models/skip_fold.py): exactly the filtered student's picture
in float, at any frame size; in int8 its kernel sits on the exporter's weight grid with each colour's gain kept,
and the ONNX int8 artifact runs no float conv."""

import numpy as np
import onnx
import pytest
import torch

from stylelite.export.api import export_model
from stylelite.models.load import load_model
from stylelite.models.registry import create_student
from stylelite.models.skip_fold import WEIGHT_LEVELS, fold_skip_filter, gain_kept_rounding
from tests.conftest import make_photo


@pytest.fixture(scope="module")
def filtered():
    return load_model("shufflegen_t_050_sk.cartoon_int8").model.eval()


@pytest.mark.parametrize("size", [(64, 96), (37, 50)])
def test_folded_is_the_same_picture_in_float(filtered, size):
    x = torch.rand(1, 3, *size) * 2 - 1
    with torch.no_grad():
        assert (fold_skip_filter(filtered, rounded=False)(x) - filtered(x)).abs().max().item() < 1e-5


def test_rounding_keeps_each_colours_gain_where_plain_rounding_moves_it(filtered):
    kernel = filtered.skip.weight().detach()
    step = kernel.abs().amax(dim=(1, 2, 3), keepdim=True) / WEIGHT_LEVELS
    kept = gain_kept_rounding(kernel)
    levels = kept / step
    assert torch.allclose(levels, levels.round(), atol=1e-4)  # on the grid: the exporter's rounding is a no-op
    assert ((kept - kernel).abs() <= step * 1.0001).all()
    assert (kept.abs().amax(dim=(1, 2, 3)) == kernel.abs().amax(dim=(1, 2, 3))).all()  # same step
    kept_error = (kept.sum(dim=(1, 2, 3)) - kernel.sum(dim=(1, 2, 3))).abs()
    nearest_error = ((kernel / step).round() * step).sum(dim=(1, 2, 3)).sub(kernel.sum(dim=(1, 2, 3))).abs()
    assert (kept_error <= step.flatten() / 2 + 1e-7).all()
    assert nearest_error.max() > 2 * kept_error.max()  # measured on the shipped kernel: 0.0081 against 0.0025


def test_a_plain_student_has_nothing_to_fold():
    with pytest.raises(ValueError, match="no skip filter to fold"):
        fold_skip_filter(create_student("shufflegen_t_050"))


def test_the_onnx_int8_artifact_runs_no_float_conv_and_keeps_the_picture(tmp_path, filtered):
    import cv2

    calib = tmp_path / "calib"
    calib.mkdir()
    for i in range(3):
        cv2.imwrite(str(calib / f"p{i}.png"), make_photo(96, 128, seed=i))
    res = export_model("shufflegen_t_050_sk.cartoon_int8", tmp_path / "sk.onnx", precision="int8", calib=calib)
    graph = onnx.load(str(res.path)).graph
    writer = {o: n for n in graph.node for o in n.output}
    convs = [n for n in graph.node if n.op_type == "Conv"]
    assert len(convs) == 11 and all(writer[n.input[0]].op_type == "DequantizeLinear" for n in convs)
    pad = next(n for n in graph.node if n.op_type == "Pad")
    assert writer[pad.input[0]].op_type != "DequantizeLinear"  # the frame's bytes, padded
    from stylelite.runtime.engines import load_engine

    frame = make_photo(72, 96, seed=7)
    with torch.no_grad():
        x = torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 127.5 - 1
        ref = ((filtered(x)[0].permute(1, 2, 0) + 1) * 127.5).round().clamp(0, 255).byte().numpy()
    out = load_engine(res.path).stylize(frame)
    err = np.abs(out.astype(np.int16) - ref.astype(np.int16))
    assert err.mean() < 1.5 and np.percentile(err, 99) <= 6  # int8 rounding only, no cast
