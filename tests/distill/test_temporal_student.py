"""The recurrent student (mobilegen_t_050): model, export with `prev_output`, state carried by the runtime,
training through the distiller, and `stylelite bench` feeding it in order."""

import numpy as np
import pytest
import torch

from stylelite.models.mobilegen_temporal import initial_prev
from stylelite.models.recurrent import moving_sequence, run_recurrent
from stylelite.models.registry import create_student
from stylelite.runtime.errors import ConfigError, ExportError
from stylelite.runtime.metrics import psnr
from tests.conftest import make_photo

NAME = "mobilegen_t_050"


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """mobilegen_t_050 with random (non-default) batch-norm statistics, so outputs vary strongly with prev."""
    from stylelite.distill.training_state import save_weights

    torch.manual_seed(0)
    model = create_student(NAME)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
    path = tmp_path_factory.mktemp("t050") / "student.safetensors"
    save_weights(path, model.eval(), metadata={"model": NAME, "distilled_from": "cyclegan_r9_bn.cartoon"})
    return path


@pytest.fixture(scope="module")
def onnx_path(weights):
    from stylelite.export.api import export_model

    return export_model(str(weights), weights.with_name("t050.onnx")).path


def _frames(n=3, h=60, w=84):
    return moving_sequence(make_photo(h, w, seed=3), n)


def test_card_says_recurrent_and_forward_uses_prev():
    model = create_student(NAME)
    assert model.card.recurrent == "prev_output"
    x = torch.rand(1, 3, 37, 53) * 2 - 1
    with torch.no_grad():
        first = model(x)
        assert torch.equal(first, model(x, initial_prev(x)))  # no prev: the frame itself, in the output range
        assert not torch.allclose(first, model(x, -x))


def test_export_has_two_inputs_and_the_recurrent_flag(onnx_path):
    import onnx

    from stylelite.runtime.engines import load_engine

    graph = onnx.load(str(onnx_path)).graph
    assert [i.name for i in graph.input] == ["image", "prev_output"]
    engine = load_engine(onnx_path)
    assert engine.recurrent and engine.meta.recurrent == "prev_output"


def test_round_trip_matches_pytorch_over_a_sequence_with_the_state_carried(weights, onnx_path):
    from stylelite.models.load import load_model
    from stylelite.runtime.engines import load_engine

    frames = _frames()
    engine = load_engine(onnx_path)
    ours = [engine.stylize(f) for f in frames]
    ref = run_recurrent(load_model(str(weights)).model, frames)
    assert min(psnr(a, b) for a, b in zip(ours, ref)) >= 40.0


def test_state_is_carried_and_reset_forgets_it(onnx_path):
    from stylelite.runtime.engines import load_engine

    f1, f2, _ = _frames()
    other = make_photo(60, 84, seed=9)
    engine = load_engine(onnx_path)
    fresh = engine.stylize(f2)  # a first frame
    engine.reset()
    engine.stylize(f1)
    after_f1 = engine.stylize(f2)
    engine.reset()
    engine.stylize(other)
    after_other = engine.stylize(f2)
    assert np.abs(after_f1.astype(int) - after_other.astype(int)).max() > 8  # frame 2 depends on frame 1
    assert np.abs(after_f1.astype(int) - fresh.astype(int)).max() > 8
    engine.reset()
    np.testing.assert_array_equal(engine.stylize(f2), fresh)
    engine.stylize(f1)  # then a frame of another size starts afresh
    small = make_photo(48, 64)
    np.testing.assert_array_equal(engine.stylize(small), load_engine(onnx_path).stylize(small))


@pytest.mark.parametrize(("fmt", "precision"), [("onnx", "int8"), ("tflite", "fp32")])
def test_int8_and_tflite_refuse_a_recurrent_student(fmt, precision, tmp_path):
    from stylelite.export.api import export_model

    with pytest.raises(ExportError, match="recurrent .* ONNX fp32 or fp16 only"):
        export_model(NAME, tmp_path / f"t.{fmt}", format=fmt, precision=precision, dynamic=fmt == "onnx",
                     calib=[make_photo(64, 64)] * 4)  # fmt: skip
    assert not list(tmp_path.iterdir())


def test_distill_trains_it_on_frame_pairs(tmp_path):
    from stylelite.distill.distiller import distill
    from stylelite.models.load import load_model
    from stylelite.runtime.files import read_jsonl
    from stylelite.runtime.video import write_image

    write_image(tmp_path / "photos" / "a.png", make_photo(80, 96))
    run = distill("cyclegan_r6", NAME, out=tmp_path / "runs", progress=False, data=(str(tmp_path / "photos"),),
                  steps=2, batch=2, crop=32, cache_size=2, temporal_batch=1, random_teacher=True)  # fmt: skip
    last = read_jsonl(run / "log.jsonl")[-1]
    assert last["recurrent_pixel"] > 0 and last["recurrent_temporal"] > 0 and last["temporal"] > 0
    assert load_model(str(run / "student.safetensors")).identity.name == NAME


def test_qat_of_a_recurrent_student_is_a_config_error(tmp_path):
    from stylelite.distill.distiller import DistillConfig

    with pytest.raises(ConfigError, match="recurrent"):
        DistillConfig(student=NAME, qat="int8")


def test_bench_feeds_it_in_order_from_a_fresh_state(onnx_path, tmp_path):
    from stylelite.benchmark.host_bench import bench
    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.video import read_video, write_video

    clip = write_video(tmp_path / "c.mp4", _frames(4, 64, 96), fps=10.0)
    frames = read_video(clip)[0]
    res = bench([onnx_path], clip, iters=4, warmup=2, progress=False)
    engine = load_engine(onnx_path)
    assert len(res.outputs[str(onnx_path)]) == len(frames) == 4
    for got, frame in zip(res.outputs[str(onnx_path)], frames):
        np.testing.assert_array_equal(got, engine.stylize(frame))


def test_temporal_compare_reads_videos_back_against_the_clip(clip_path):
    from stylelite.benchmark.temporal_compare import compare

    floor, same = compare(clip_path, [clip_path])
    assert same["flicker"] == pytest.approx(floor["flicker"]) and floor["flicker"] > 0


def test_stylelite_run_carries_the_state_through_the_pipeline(onnx_path, clip_path, tmp_path):
    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.stylize import run
    from stylelite.runtime.video import list_images, read_image, read_video

    run(onnx_path, clip_path, tmp_path / "out", progress=False)
    engine = load_engine(onnx_path)
    expected = [engine.stylize(f) for f in read_video(clip_path)[0]]
    got = [read_image(p) for p in list_images(tmp_path / "out")]
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_array_equal(a, b)


def test_torch_engine_carries_the_state_like_the_onnx_engine(weights, onnx_path):
    import stylelite.models.torch_engine  # noqa: F401  (registers the torch engine for checkpoints)
    from stylelite.runtime.engines import load_engine

    frames = _frames()
    torch_engine, ort_engine = load_engine(weights), load_engine(onnx_path)
    assert torch_engine.recurrent
    ours, theirs = [torch_engine.stylize(f) for f in frames], [ort_engine.stylize(f) for f in frames]
    assert min(psnr(a, b) for a, b in zip(ours, theirs)) >= 40.0
    torch_engine.reset()
    assert psnr(torch_engine.stylize(frames[0]), theirs[0]) >= 40.0
