"""Range equalization before int8: exact in float, recorded in the artifact, closer to fp32 on real footage."""

import numpy as np
import pytest
import torch

from stylelite.export.api import export_model
from stylelite.models.equalize import check_same_function, equalizable, equalize_ranges
from stylelite.models.registry import create_student
from stylelite.runtime.engines import load_engine
from stylelite.runtime.metrics import ssim
from tests.conftest import make_photo, run_cli


def _uneven_student():
    """A ShuffleGen whose channels span very different ranges (as trained ones do, 2-3x and more)."""
    torch.manual_seed(0)
    net = create_student("shufflegen_t_038").eval()
    with torch.no_grad():
        gain = torch.logspace(-1, 1, net.stem[0].out_channels)
        net.stem[0].weight.mul_(gain.view(-1, 1, 1, 1))
        for block in net.blocks:
            block.conv2.weight.mul_(20 * gain.view(-1, 1, 1, 1))
    return net


def _to_input(frame):
    return torch.from_numpy(frame).permute(2, 0, 1)[None].float().numpy() / 127.5 - 1


def test_equalizing_keeps_the_function_and_evens_the_channel_ranges():
    net = _uneven_student()
    frames = [make_photo(64, 96, seed=s) for s in range(3)]
    eq, record = equalize_ranges(net, frames, _to_input)
    x = torch.from_numpy(_to_input(make_photo(64, 96, seed=9)))
    assert check_same_function(net, eq, x) < 1e-4
    assert record["stream_spread_before"] > 5 and record["frames"] == 3
    _, after = equalize_ranges(eq, frames, _to_input)  # a second pass finds the ranges already even
    assert after["stream_spread_before"] < 1.05
    assert next(net.parameters()).data_ptr() != next(eq.parameters()).data_ptr()  # the caller's model is untouched


def test_only_shufflegen_students_are_equalized():
    assert equalizable(create_student("shufflegen_s_050"))
    assert not equalizable(create_student("mobilegen_s_050"))  # depthwise blocks: not this exact rescaling
    assert not equalizable(create_student("normgen_t_050"))  # per-image normalization in the stream


@pytest.fixture(scope="module")
def real_clip():
    from stylelite.runtime.corpus import clip_paths
    from stylelite.runtime.video import read_video

    return read_video(clip_paths(("carphone",))["carphone"], max_frames=12)[0]


def test_int8_export_equalizes_and_stays_closer_to_fp32_on_real_footage(tmp_path, real_clip):
    from stylelite.distill.photos import builtin_photos

    calib = list(builtin_photos("train").values())
    fp32 = load_engine(export_model("shufflegen_t_050.cartoon", tmp_path / "f.onnx").path)
    plain = export_model("shufflegen_t_050.cartoon", tmp_path / "p.onnx", precision="int8", calib=calib, equalize=False)
    eq = export_model("shufflegen_t_050.cartoon", tmp_path / "e.onnx", precision="int8", calib=calib)
    assert "equalized" not in plain.metadata.quantization
    assert eq.metadata.quantization["equalized"]["frames"] >= 2  # the calibrating frames (a fourth are held out)
    ref = np.stack([fp32.stylize(f) for f in real_clip])
    score = {k: ssim(np.stack([load_engine(r.path).stylize(f) for f in real_clip]), ref) for k, r in
             {"plain": plain, "eq": eq}.items()}  # fmt: skip
    assert score["eq"] > score["plain"] + 0.007, score  # measured: SSIM to its fp32 self 0.953 -> 0.967


def test_cli_says_it_equalized_and_no_equalize_turns_it_off(tmp_path, clip_path):
    r = run_cli("export", "shufflegen_t_038", "--int8", "--calib", str(clip_path), "-o", str(tmp_path / "e.onnx"))
    assert r.returncode == 0, r.stderr
    assert "channel ranges equalized first" in r.stdout
    r = run_cli("export", "shufflegen_t_038", "--int8", "--calib", str(clip_path), "--no-equalize",
                "-o", str(tmp_path / "p.onnx"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "channel ranges equalized" not in r.stdout
    assert "equalized" not in load_engine(tmp_path / "p.onnx").meta.quantization
