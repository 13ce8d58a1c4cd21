"""`export --int8 --onnx-io uint8`: the decoded frame's bytes in and out (NHWC), bit for bit the float-I/O
artifact's picture, through every engine path (stylize, the pipeline's stages, a float batch); refused in one line
where the pixels are not exact uint8 steps."""

import dataclasses

import numpy as np
import onnx
import pytest

from stylelite.export.api import export_model
from stylelite.runtime.engines import load_engine
from stylelite.runtime.pipeline import stream_frames
from stylelite.runtime.sources import open_source
from tests.conftest import make_photo, run_cli


@pytest.fixture(scope="module")
def calib(tmp_path_factory):
    import cv2

    folder = tmp_path_factory.mktemp("calib")
    for i in range(3):
        cv2.imwrite(str(folder / f"p{i}.png"), make_photo(96, 128, seed=i))
    return folder


@pytest.fixture(scope="module")
def pair(tmp_path_factory, calib):
    out = tmp_path_factory.mktemp("u8")
    floats = export_model("shufflegen_t_050_sk.cartoon_int8", out / "f.onnx", precision="int8", calib=calib)
    nbytes = export_model(
        "shufflegen_t_050_sk.cartoon_int8", out / "b.onnx", precision="int8", calib=calib, onnx_io="uint8"
    )
    return floats, nbytes


def test_the_graph_takes_and_returns_the_frames_bytes(pair):
    _, nbytes = pair
    graph = onnx.load(str(nbytes.path)).graph
    for value in (graph.input[0], graph.output[0]):
        dims = [d.dim_value or d.dim_param for d in value.type.tensor_type.shape.dim]
        assert value.type.tensor_type.elem_type == onnx.TensorProto.UINT8 and dims[0] == 1 and dims[3] == 3
    ops = [n.op_type for n in graph.node]
    assert ops[0] == ops[-1] == "Transpose" and "QuantizeLinear" in ops  # the inner quantizers stay
    meta = nbytes.metadata
    assert meta.layout == "NHWC" and meta.quantization["io"] == "uint8" and meta.input_range == (0.0, 255.0)
    assert load_engine(nbytes.path).bytes_io


@pytest.mark.parametrize("size", [(72, 96), (67, 101)])  # the second is padded to the stride and cropped back
def test_the_picture_is_the_float_artifacts_bit_for_bit(pair, size):
    floats, nbytes = pair
    frame = make_photo(*size, seed=7)
    a, b = load_engine(floats.path), load_engine(nbytes.path)
    out = b.stylize(frame)
    assert out.dtype == np.uint8 and out.shape == frame.shape
    assert np.array_equal(out, a.stylize(frame))
    x, hw = b.preprocess(frame)  # the pipeline's stages: bytes in, bytes out
    assert x.dtype == np.uint8 and x.shape[-1] == 3
    assert np.array_equal(b.postprocess(b.infer(x), hw, frame), out)
    floaty = x.transpose(0, 3, 1, 2).astype(np.float32)  # a float batch in the model's range (0-255) also works
    assert np.array_equal(b.postprocess(b.infer(floaty), hw, frame), out)


def test_a_video_runs_through_the_pipeline(pair, clip_path):
    _, nbytes = pair
    engine = load_engine(nbytes.path)
    outs = list(stream_frames(open_source(str(clip_path)), engine))
    assert len(outs) == 8
    assert all(o.styled.dtype == np.uint8 and np.array_equal(o.styled, engine.stylize(o.rgb)) for o in outs)


def test_where_it_cannot_apply_it_says_so_in_one_line(tmp_path, calib):
    cases = [
        (["shufflegen_t_050.cartoon", "--onnx-io", "uint8"], "is for ONNX int8 exports"),
        (["shufflegen_t_050.cartoon", "--format", "tflite", "--int8", "--calib", str(calib), "--static-size", "64",
          "--onnx-io", "uint8"], "--tflite-io uint8"),
        (["mobilegen_s_025", "--int8", "--calib", str(calib), "--onnx-io", "uint8"], "exact uint8 steps"),
    ]  # fmt: skip
    for args, says in cases:
        out = tmp_path / "x.onnx"
        r = run_cli("export", *args, "-o", str(out))
        assert r.returncode == 1 and says in r.stderr and "Traceback" not in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and not out.exists()


def test_a_uint8_input_without_the_metadatas_word_is_not_fed_bytes(pair, tmp_path):
    """Forged metadata: a uint8-I/O graph whose record lost `io` is not taken for one (it fails in one line)."""
    from stylelite.runtime.errors import StyleliteError
    from stylelite.runtime.metadata import METADATA_KEY, ArtifactMetadata

    _, nbytes = pair
    proto = onnx.load(str(nbytes.path))
    entry = next(p for p in proto.metadata_props if p.key == METADATA_KEY)
    meta = ArtifactMetadata.from_json(entry.value)
    entry.value = dataclasses.replace(meta, quantization={}).to_json()
    forged = tmp_path / "forged.onnx"
    onnx.save(proto, str(forged))
    engine = load_engine(forged)
    assert not engine.bytes_io
    with pytest.raises(StyleliteError):
        engine.stylize(make_photo(72, 96))
