"""Stamping refuses what would play wrong: contradicting ranges, existing metadata, weights outside the
folder, absurd strides; export's --threads only where it applies and within the machine's cores."""

import os
import shutil
from pathlib import Path

import onnx
import pytest
import torch
from torch import nn

from stylelite.export.stamp import stamp_graph
from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ConfigError, ExportError, StyleliteError
from tests.conftest import run_cli

STUDENT = Path(__file__).resolve().parents[1] / "data" / "student.onnx"


class _Tanh(nn.Module):
    """A [-1, 1] NCHW generator (conv + tanh)."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 3, 3, padding=1), nn.Tanh())

    def forward(self, x):
        return self.net(x)


@pytest.fixture(scope="module")
def tanh_graph(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("tanh")
    axes = {0: "n", 2: "h", 3: "w"}
    torch.onnx.export(
        _Tanh().eval(),
        (torch.rand(1, 3, 32, 32) * 2 - 1,),
        str(d / "tanh.onnx"),
        input_names=["x"],
        output_names=["y"],
        dynamic_axes={"x": axes, "y": axes},
        dynamo=False,
    )
    return d / "tanh.onnx"


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_card_that_fits_is_stamped(tanh_graph, tmp_path):
    out, psnr = stamp_graph(tanh_graph, ("input_range=-1,1",), tmp_path / "ok.onnx")
    assert psnr > 50 and load_engine(out).meta.stamped_from == "tanh.onnx"


def test_an_output_range_the_graph_does_not_use_is_refused(tanh_graph, tmp_path):
    """s3_contra_range: output_range=0,255 on a graph whose outputs are in [-1, 1]."""
    with pytest.raises(ExportError, match=r"under 1% of the card's output_range \[0.0, 255.0\].*output_range=-1,1"):
        stamp_graph(tanh_graph, ("output_range=0,255",), tmp_path / "bad.onnx")
    assert not (tmp_path / "bad.onnx").exists() and not _left(tmp_path)


def test_an_input_range_that_saturates_the_graph_is_refused(tanh_graph, tmp_path):
    """s3_contra_in255: a [-1, 1] graph fed 0..255 returns its extremes."""
    with pytest.raises(ExportError, match=r"at the ends of output_range .* it saturates.*input_range \[0.0, 255.0\]"):
        stamp_graph(tanh_graph, ("input_range=0,255",), tmp_path / "bad.onnx")
    assert not (tmp_path / "bad.onnx").exists()


def test_a_stylelite_export_is_not_stamped_over(tmp_path):
    """s3_stamp_own: a real export already carries stylelite's metadata."""
    card = ("input_range=0,255", "output_range=0,255")
    with pytest.raises(ExportError, match=r"student.onnx already carries stylelite metadata .*own export.*--restamp"):
        stamp_graph(STUDENT, card, tmp_path / "student_restamped.onnx")
    r = run_cli("export", str(STUDENT), "--card", card[0], "-o", str(tmp_path / "re.onnx"))
    assert r.returncode == 1 and "already carries stylelite metadata" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "re.onnx").exists()


def test_restamping_a_stamped_copy_needs_restamp(tanh_graph, tmp_path):
    """s3_restamp: a stamped copy is stamped again only when asked."""
    stamped, _ = stamp_graph(tanh_graph, ("stride=4",), tmp_path / "stamped.onnx")
    with pytest.raises(ExportError, match="already carries stylelite metadata .*stamped from tanh.onnx"):
        stamp_graph(stamped, ("stride=8",), tmp_path / "again.onnx")
    out, _ = stamp_graph(stamped, ("stride=8",), tmp_path / "again.onnx", restamp=True)
    assert load_engine(out).meta.stride == 8
    r = run_cli("export", "mobilegen_s_025", "--restamp", "-o", str(tmp_path / "x.onnx"))
    assert r.returncode == 1 and "--restamp replaces the metadata of a graph stamped with --card" in r.stderr


@pytest.mark.parametrize("stride", ["100000", str(10**20)])
def test_a_stride_beyond_any_frame_is_refused_before_a_test_frame_is_made(tanh_graph, tmp_path, stride):
    """s3_stamp_stride_big / s3_stamp_stride_huge: no stride x stride frame is allocated."""
    with pytest.raises(StyleliteError, match=r"stride=\d+: use a whole number from 1 to 512"):
        stamp_graph(tanh_graph, (f"stride={stride}",), tmp_path / "s.onnx")
    assert not (tmp_path / "s.onnx").exists()


@pytest.mark.parametrize("location", ["../../../../../etc/passwd", "/etc/passwd"])
def test_external_data_outside_the_folder_is_one_line(tanh_graph, tmp_path, location):
    """s3_stamp_ext: weights said to live outside the graph's folder."""
    proto = onnx.load(str(tanh_graph))
    tensor = proto.graph.initializer[0]
    tensor.ClearField("raw_data")
    tensor.data_location = onnx.TensorProto.EXTERNAL
    tensor.external_data.add(key="location", value=location)
    onnx.save(proto, str(tmp_path / "ext.onnx"))
    with pytest.raises(ExportError, match=r"ext.onnx keeps its weights outside its folder"):
        stamp_graph(tmp_path / "ext.onnx", ("stride=4",), tmp_path / "s.onnx")
    r = run_cli("export", str(tmp_path / "ext.onnx"), "--card", "stride=4", "-o", str(tmp_path / "s.onnx"))
    assert r.returncode == 1 and "Traceback" not in r.stderr and "outside its folder" in r.stderr
    assert not (tmp_path / "s.onnx").exists()


def test_a_tflite_graph_is_stamped_nhwc_without_saying_so(tmp_path):
    """s3_stamp_tfl: TFLite is NHWC; an explicit NCHW is refused."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    from stylelite.runtime.reference import reference_artifact

    model = schema.ModelT.InitFromPackedBuf(bytearray(reference_artifact(".tflite", "fp32").read_bytes()), 0)
    model.metadata = []
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    (tmp_path / "phone.tflite").write_bytes(b.Output())
    with pytest.raises(ExportError, match="feeds TFLite graphs NHWC; drop layout=NCHW"):
        stamp_graph(tmp_path / "phone.tflite", ("layout=NCHW",), tmp_path / "s.tflite")
    out, psnr = stamp_graph(tmp_path / "phone.tflite", ("input_range=-1,1",), tmp_path / "s.tflite")
    assert psnr > 50 and load_engine(out).meta.layout == "NHWC"
    shutil.copyfile(out, tmp_path / "again.tflite")
    with pytest.raises(ExportError, match="already carries stylelite metadata"):
        stamp_graph(tmp_path / "again.tflite", ("input_range=-1,1",), tmp_path / "s2.tflite")


def test_threads_only_with_precision_auto_and_within_the_cores():
    """s7_thr_fp32 / s7_thr64."""
    from stylelite.export.api import ExportConfig

    with pytest.raises(
        ConfigError, match="--threads 4 times the layers of --precision auto only; fp32 does not use it"
    ):
        ExportConfig(threads=4)
    cores = os.cpu_count() or 1
    with pytest.raises(ConfigError, match=f"--threads {cores + 62}: this machine has {cores} cores"):
        ExportConfig(precision="auto", threads=cores + 62)
    assert ExportConfig(precision="auto", threads=cores).threads == cores


def test_cli_threads_with_fp32_is_an_error(tmp_path):
    r = run_cli("export", "mobilegen_s_025", "--threads", "4", "-o", str(tmp_path / "a.onnx"))
    assert r.returncode == 1 and "--threads 4 times the layers of --precision auto only" in r.stderr
    assert not (tmp_path / "a.onnx").exists()
