"""The committed ONNX student (tests/data/student.onnx, run by the torch-free runtime tests) is what
`stylelite export mobilegen_s_025` writes today: the same metadata, inputs, outputs and graph ops (its
untrained weights are random, so the values differ)."""

import dataclasses

import onnx

from stylelite.export.api import export_model
from stylelite.runtime.engines import load_engine
from tests.conftest import COMMITTED_STUDENT

REBUILD = "rebuild it: python tests/data/make_student.py"


def _signature(path):
    g = onnx.load(str(path)).graph
    io = [(v.name, [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]) for v in [*g.input, *g.output]]
    return io, [n.op_type for n in g.node]


def test_committed_student_matches_a_fresh_export(tmp_path):
    fresh = export_model("mobilegen_s_025", tmp_path / "fresh.onnx").path
    # the committed file is the schema-1 artifact the forged-metadata tests start from: it predates licence lines
    strip = lambda m: dataclasses.replace(m, exported_by="", license="")  # noqa: E731
    assert strip(load_engine(COMMITTED_STUDENT).meta) == strip(load_engine(fresh).meta), REBUILD
    assert _signature(COMMITTED_STUDENT) == _signature(fresh), REBUILD
