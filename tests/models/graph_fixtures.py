"""Hostile graph files built in a test's folder (the issue-28 probes' fixtures, rebuilt small)."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

_X = h.make_tensor_value_info("x", T.FLOAT, ["N", 3, "H", "W"])


def _y(name: str = "y", shape=None):
    return h.make_tensor_value_info(name, T.FLOAT, shape if shape is not None else ["N", "C", "H2", "W2"])


def onnx_graph(path: Path, nodes, outs=None, inits=(), opsets=(("", 17),)) -> Path:
    graph = h.make_graph(nodes, path.stem, [_X], outs or [_y()], initializer=list(inits))
    model = h.make_model(graph, opset_imports=[h.make_opsetid(d, v) for d, v in opsets], producer_name="probe")
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def tanh_onnx(path: Path, negate: bool = False) -> Path:
    nodes = [h.make_node("Tanh", ["x"], ["t" if negate else "y"])]
    if negate:
        nodes.append(h.make_node("Neg", ["t"], ["y"]))
    return onnx_graph(path, nodes)


def batch_one_onnx(path: Path) -> Path:
    """Correct at batch 1 only: Reshape to [1, 3, -1, W] stacks a batch along H."""
    shape = nh.from_array(np.array([1, 3, -1, 0], np.int64), "shp")
    nodes = [h.make_node("Reshape", ["x", "shp"], ["r"]), h.make_node("Tanh", ["r"], ["y"])]
    return onnx_graph(path, nodes, inits=[shape])


def scalar_first_onnx(path: Path) -> Path:
    nodes = [h.make_node("ReduceMean", ["x"], ["s"], keepdims=0), h.make_node("Tanh", ["x"], ["y"])]
    return onnx_graph(path, nodes, outs=[_y("s", []), _y()])


def external_data_onnx(path: Path, location: str) -> Path:
    w = onnx.TensorProto()
    w.name, w.data_type = "w", T.FLOAT
    w.dims.extend([1, 3, 1, 1])
    w.data_location = onnx.TensorProto.EXTERNAL
    for key, value in (("location", location), ("offset", "0"), ("length", "12")):
        w.external_data.add(key=key, value=value)
    return onnx_graph(path, [h.make_node("Add", ["x", "w"], ["a"]), h.make_node("Tanh", ["a"], ["y"])], inits=[w])


def custom_op_onnx(path: Path) -> Path:
    node = h.make_node("NoSuchOp", ["x"], ["y"], domain="evil.domain")
    return onnx_graph(path, [node], opsets=(("", 17), ("evil.domain", 1)))


class _Tanh(torch.nn.Module):
    def forward(self, x):
        return torch.tanh(x)


def good_pt2(path: Path) -> Path:
    torch.export.save(torch.export.export(_Tanh(), (torch.zeros(1, 3, 16, 16),)), str(path))
    return path


class _Opens:
    """A pickle that runs code when loaded: it creates `marker` (as os.system("touch ...") would)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def rewritten_zip(src: Path, dst: Path, replace: dict) -> Path:
    """`src` with the members whose name ends with a key of `replace` given that value's bytes (a callable
    of the old bytes, or bytes); a key that matches nothing is added below the archive's folder."""
    with zipfile.ZipFile(src) as z, zipfile.ZipFile(dst, "w") as out:
        names = z.namelist()
        for name in names:
            data = z.read(name)
            for end, new in replace.items():
                if name.endswith(end):
                    data = new(data) if callable(new) else new
            out.writestr(name, data)
        root = names[0].split("/", 1)[0]
        for end, new in replace.items():
            if not any(n.endswith(end) for n in names):
                out.writestr(f"{root}/{end}", new if isinstance(new, bytes) else b"")
    return dst


def evil_pt2(good: Path, dst: Path, marker: Path) -> Path:
    """good.pt2 with its sample inputs replaced by a pickle that creates `marker` when unpickled."""
    return rewritten_zip(good, dst, {"sample_inputs/model.pt": pickle.dumps(_Opens(marker), protocol=2)})


class _WritesAFile(torch.nn.Module):
    """A TorchScript teacher that overwrites 8 bytes of a host file through a shared mapping."""

    def __init__(self, target: str) -> None:
        super().__init__()
        self.target = target

    def forward(self, x):
        t = torch.from_file(self.target, shared=True, size=8, dtype=torch.uint8)
        t.fill_(88)
        return torch.tanh(x) + 0.0 * t.float().sum()


def evil_torchscript(path: Path, target: Path) -> Path:
    torch.jit.script(_WritesAFile(str(target))).save(str(path))
    return path


class _Batch1Only(torch.nn.Module):
    def forward(self, x):
        if x.shape[0] > 1:
            raise RuntimeError("batch > 1 not supported")
        return torch.tanh(x)


def batch_fail_torchscript(path: Path) -> Path:
    torch.jit.script(_Batch1Only()).save(str(path))
    return path


def fake_tflite(path: Path) -> Path:
    rng = np.random.default_rng(1)
    path.write_bytes(b"\x1c\0\0\0TFL3" + rng.integers(0, 256, 4000, dtype=np.uint8).tobytes())
    return path
