"""Foreign graphs in the runtime: `stylelite export other.onnx|other.tflite --card ... -o stamped`."""

import numpy as np
import pytest
import torch
from torch import nn

from stylelite.export.stamp import stamp_graph
from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ConfigError, ExportError
from stylelite.runtime.video import read_image, write_image
from tests.conftest import make_photo, run_cli

CARD = ("input_range=0,255", "output_range=0,255", "layout=NHWC", "color=BGR")


class _TfStyle(nn.Module):
    """A generator behind a [0, 255] NHWC BGR interface, exported with plain torch."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 3, 3, padding=1), nn.Tanh())

    def forward(self, x):
        rgb = x.permute(0, 3, 1, 2).flip(1) / 127.5 - 1
        return ((self.net(rgb) + 1) * 127.5).flip(1).permute(0, 2, 3, 1)


@pytest.fixture(scope="module")
def foreign(tmp_path_factory):
    d = tmp_path_factory.mktemp("foreign")
    model = _TfStyle().eval()
    axes = {0: "n", 1: "h", 2: "w"}
    torch.onnx.export(
        model,
        (torch.rand(1, 32, 32, 3) * 255,),
        str(d / "other.onnx"),
        input_names=["img"],
        output_names=["out"],
        dynamic_axes={"img": axes, "out": axes},
        dynamo=False,
    )
    return model, d / "other.onnx"


def test_a_stamped_copy_plays_as_the_original_computes(foreign, tmp_path):
    model, src = foreign
    before = src.read_bytes()
    out, psnr = stamp_graph(src, CARD, tmp_path / "stamped.onnx")
    assert psnr > 50 and src.read_bytes() == before  # the original is never touched
    meta = load_engine(out).meta
    assert (meta.layout, meta.color, meta.input_range) == ("NHWC", "BGR", (0.0, 255.0))
    assert meta.stamped_from == "other.onnx"
    frame = make_photo(48, 64, seed=2)
    with torch.no_grad():
        expected = model(torch.from_numpy(frame[None, :, :, ::-1].copy()).float()).numpy()[0, :, :, ::-1]
    got = load_engine(out).stylize(frame)
    assert np.abs(got.astype(int) - np.clip(np.round(expected), 0, 255).astype(int)).max() <= 1


def test_cli_run_says_how_to_stamp_then_plays_the_stamped_copy(foreign, tmp_path):
    _, src = foreign
    write_image(tmp_path / "in.png", make_photo(40, 56, seed=1))
    r = run_cli("run", str(src), "-i", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"))
    assert r.returncode == 1 and "has no stylelite metadata: stamp a copy with how to feed it" in r.stderr
    assert "--card input_range=0,255" in r.stderr and not (tmp_path / "out.png").exists()
    cards = [a for c in CARD for a in ("--card", c)]
    r = run_cli("export", str(src), *cards, "-o", str(tmp_path / "stamped.onnx"))
    assert r.returncode == 0 and "verified through the runtime against the original" in r.stdout
    r = run_cli("run", str(tmp_path / "stamped.onnx"), "-i", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"))
    assert r.returncode == 0, r.stderr
    assert read_image(tmp_path / "out.png").shape == (40, 56, 3)


def test_wrong_cards_fail_in_one_line_and_write_nothing(foreign, tmp_path):
    _, src = foreign
    with pytest.raises(ConfigError, match="not NCHW with 3 channels: add layout=NHWC"):
        stamp_graph(src, ("input_range=0,255",), tmp_path / "a.onnx")
    with pytest.raises(ConfigError, match="outside its card's output_range"):
        stamp_graph(src, ("layout=NHWC", "color=BGR"), tmp_path / "a.onnx")  # ranges left at [-1, 1]
    with pytest.raises(ExportError, match="is the original"):
        stamp_graph(src, CARD, src)
    assert not list(tmp_path.iterdir())
    r = run_cli("export", str(src), "--card", "layout=NHWC")
    assert r.returncode == 1 and "give its path with -o" in r.stderr
    r = run_cli("export", str(src), "-o", str(tmp_path / "again.onnx"))
    assert r.returncode == 1 and "is already an exported graph: to let run, bench and serve play it" in r.stderr


def test_a_foreign_tflite_file_is_stamped(tmp_path):
    """A TFLite file without stylelite's metadata (the committed reference, its metadata stripped)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    from stylelite.runtime.reference import reference_artifact

    model = schema.ModelT.InitFromPackedBuf(bytearray(reference_artifact(".tflite", "fp32").read_bytes()), 0)
    model.metadata = []
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    (tmp_path / "phone.tflite").write_bytes(b.Output())
    with pytest.raises(ExportError, match="has no stylelite metadata: stamp a copy"):
        load_engine(tmp_path / "phone.tflite")
    out, psnr = stamp_graph(tmp_path / "phone.tflite", ("output_range=-1,1",), tmp_path / "s.tflite")  # TFLite: NHWC
    meta = load_engine(out).meta
    assert psnr > 50 and (meta.height, meta.width, meta.layout) == (480, 480, "NHWC")


def test_a_stamped_copy_benches_and_serves(foreign, tmp_path, clip_path):
    import json as _json

    _, src = foreign
    stamped, _ = stamp_graph(src, CARD, tmp_path / "stamped.onnx")
    r = run_cli("bench", str(stamped), "--clip", str(clip_path), "--iters", "3", "--no-ceiling", "--json")
    assert r.returncode == 0, r.stderr[-1500:]
    (record,) = _json.loads(r.stdout)
    assert record["status"] == "ok" and record["latency_ms"]["p50"] > 0

    pytest.importorskip("fastapi", reason="the serve extra is not installed")
    from websockets.sync.client import connect

    from stylelite.runtime.serve.config import ServeConfig
    from stylelite.runtime.serve.server import start_server
    from stylelite.runtime.serve.wire import encode_jpeg, pack, unpack

    server = start_server(ServeConfig(model=stamped, port=0))
    try:
        ws_url = server.url.split("?")[0].replace("http://", "ws://") + "ws"
        with connect(ws_url, max_size=None) as ws:
            ws.send(_json.dumps({"type": "source", "source": "camera"}))
            ws.send(pack({"id": 3}, encode_jpeg(make_photo(72, 96), 90)))
            while True:
                message = ws.recv(timeout=20)
                if isinstance(message, bytes) and unpack(message)[0].get("id") == 3:
                    break
    finally:
        server.stop()
