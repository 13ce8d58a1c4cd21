"""Black-box teachers: generators that exist only as exported graphs stylelite did not make."""

import json

import numpy as np
import pytest
import torch
from torch import nn

from stylelite.distill.data import TeacherCache
from stylelite.distill.distiller import DistillConfig, distill
from stylelite.models.graph_teacher import GraphCard, GraphTeacher, probe_graph_teacher
from stylelite.models.load import load_model
from stylelite.runtime.errors import ConfigError
from tests.conftest import make_photo, run_cli


class _Net(nn.Module):
    """A small generator written in plain torch, as another team would have it."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.body = nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.Conv2d(16, 3, 3, padding=1), nn.Tanh())

    def forward(self, x):
        return self.body(x)


class _Bytes(nn.Module):
    """The same generator behind a [0, 255] NHWC BGR interface (a TF-style export)."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x):
        rgb = x.permute(0, 3, 1, 2).flip(1) / 127.5 - 1
        return ((self.net(rgb) + 1) * 127.5).flip(1).permute(0, 2, 3, 1)


class _Styled(nn.Module):
    """Takes an image and a style vector."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net

    def forward(self, x, style):
        return self.net(x) * style[:, :1, None, None]


DYNAMIC = {0: "n", 2: "h", 3: "w"}


def _onnx(module, path, inputs, names, dynamic=True, nhwc=False):
    axes = {0: "n", 1: "h", 2: "w"} if nhwc else DYNAMIC
    dyn = {names[0]: axes, "out": axes} if dynamic else None
    torch.onnx.export(
        module.eval(), inputs, str(path), input_names=names, output_names=["out"], dynamic_axes=dyn, dynamo=False
    )
    return path


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    d = tmp_path_factory.mktemp("graphs")
    net = _Net().eval()
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    paths = {
        "onnx": _onnx(net, d / "plain.onnx", (x,), ["x"]),
        "bytes": _onnx(_Bytes(net), d / "bytes.onnx", (torch.rand(1, 32, 32, 3) * 255,), ["img"], nhwc=True),
        "styled": _onnx(_Styled(net), d / "styled.onnx", (x, torch.ones(1, 3)), ["x", "style"]),
        "fixed": _onnx(net, d / "fixed.onnx", (torch.rand(1, 3, 64, 64),), ["x"], dynamic=False),
    }
    torch.jit.trace(net, x).save(str(d / "traced.pt"))
    torch.export.save(torch.export.export(net, (x,)), str(d / "exported.pt2"))
    paths |= {"torchscript": d / "traced.pt", "pt2": d / "exported.pt2"}
    return net, paths


@pytest.fixture(scope="module")
def photo():
    return make_photo(64, 64, seed=4)


@pytest.mark.parametrize("kind", ["onnx", "torchscript", "pt2"])
def test_graph_teachers_label_as_the_network_does(graphs, photo, kind):
    net, paths = graphs
    teacher = load_model(paths[kind], trust_graph_code=kind != "onnx").model  # a program runs only when trusted
    assert isinstance(teacher, GraphTeacher) and teacher.card.family == "graph"
    cache = TeacherCache(teacher, [photo], 4, 32, seed=0, taps=[], progress=False)
    with torch.no_grad():
        expected = net(cache.inputs)
    torch.testing.assert_close(cache.outputs, expected, rtol=0, atol=1e-5)


def test_the_card_says_how_to_feed_a_bytes_nhwc_bgr_graph(graphs, photo):
    net, paths = graphs
    card = GraphCard.parse(["input_range=0,255", "output_range=0,255", "layout=NHWC", "color=BGR"])
    teacher = GraphTeacher(paths["bytes"], card)
    cache = TeacherCache(teacher, [photo], 4, 32, seed=0, taps=[], progress=False)
    with torch.no_grad():
        expected = net(cache.inputs)  # the labels are mapped to [-1, 1] as every teacher's are
    torch.testing.assert_close(cache.outputs, expected, rtol=0, atol=1e-4)
    wrong = GraphTeacher(paths["bytes"], GraphCard.parse(["layout=NHWC", "color=BGR"]))
    with pytest.raises(ConfigError, match=r"outside its card's output_range \[-1.0, 1.0\]: .*output_range=0,255"):
        probe_graph_teacher(wrong, photo[:32, :32])


def test_extra_inputs_fixed_sizes_and_layouts_are_checked_first(graphs, photo):
    _, paths = graphs
    with pytest.raises(ConfigError, match="also takes style: give each a constant, e.g. inputs.style=1,0,0"):
        GraphTeacher(paths["styled"], GraphCard())
    styled = GraphTeacher(paths["styled"], GraphCard.parse(["inputs.style=0.5,0,0"]))
    probe_graph_teacher(styled, photo[:32, :32])
    fixed = GraphTeacher(paths["fixed"], GraphCard())
    with pytest.raises(ConfigError, match="takes 64x64 images only: distil it with --crop 64"):
        probe_graph_teacher(fixed, photo[:32, :32])
    with pytest.raises(
        ConfigError, match=r"takes x as \['n', 3, 'h', 'w'\], not NHWC with 3 channels: add layout=NCHW"
    ):
        GraphTeacher(paths["onnx"], GraphCard.parse(["layout=NHWC"]))
    with pytest.raises(ConfigError, match="unknown teacher card key 'range'"):
        GraphCard.parse(["range=0,255"])


def test_a_tflite_graph_runs_as_a_teacher():
    from stylelite.runtime.reference import reference_artifact

    teacher = GraphTeacher(reference_artifact(".tflite", "fp32"), GraphCard.parse(["layout=NHWC"]))
    assert teacher.fixed_size == (480, 480)
    with pytest.raises(ConfigError, match="takes 480x480 images only: distil it with --crop 480"):
        probe_graph_teacher(teacher, np.zeros((32, 32, 3), np.uint8))
    y = teacher(torch.zeros(1, 3, 480, 480))
    assert y.shape == (1, 3, 480, 480) and bool(torch.isfinite(y).all())


def test_cli_distils_from_an_onnx_teacher_stylelite_did_not_export(graphs, tmp_path):
    _, paths = graphs
    args = ["--student", "shufflegen_t_038", "--steps", "3", "--batch", "2", "--crop", "32", "--cache-size", "4"]
    args += ["--temporal-batch", "1", "-o", str(tmp_path / "runs")]
    r = run_cli("distill", "--teacher", str(paths["onnx"]), "--w-feature", "0.1", *args)
    assert r.returncode == 1 and "has no feature taps; add --w-feature 0" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "runs").exists()
    r = run_cli("distill", "--teacher", str(paths["onnx"]), *args)  # a graph's feature loss is off by default
    assert r.returncode == 0, r.stderr[-1500:]
    assert "plain.onnx: an exported graph run in onnxruntime (CPUExecutionProvider)" in r.stderr
    (run,) = (tmp_path / "runs").iterdir()
    assert json.loads((run / "config.json").read_text())["teacher"] == str(paths["onnx"])
    r = run_cli("distill", "--teacher", str(paths["bytes"]), "--w-feature", "0", *args)
    assert r.returncode == 1 and "add layout=NHWC" in r.stderr and "Traceback" not in r.stderr
    card = ("--teacher-card", "layout=NHWC", "--teacher-card", "color=BGR")
    r = run_cli("distill", "--teacher", str(paths["bytes"]), *card, "--w-feature", "0", *args)
    assert r.returncode == 1 and "output_range=0,255" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_distil_from_a_torchscript_teacher(graphs, tmp_path):
    _, paths = graphs
    run = distill(
        teacher=str(paths["torchscript"]),
        student="shufflegen_t_038",
        w_feature=0.0,
        steps=2,
        batch=2,
        crop=32,
        cache_size=4,
        temporal_batch=1,
        trust_graph_code=True,
        out=tmp_path,
        progress=False,
    )
    assert (run / "student.safetensors").is_file()
    with pytest.raises(ConfigError, match="--teacher-card describes an exported graph teacher"):
        DistillConfig(teacher="cyclegan_r9_bn.cartoon", teacher_card=("input_range=0,255",))
