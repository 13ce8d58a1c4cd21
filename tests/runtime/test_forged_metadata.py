"""Typed, versioned artifact metadata: old files read, forged or damaged ones are one line, never a picture."""

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ExportError, InputError, MetadataError
from stylelite.runtime.metadata import METADATA_KEY, SCHEMA_VERSION, ArtifactMetadata
from stylelite.runtime.video import write_image
from tests.conftest import make_photo, run_cli

STUDENT = Path(__file__).resolve().parents[1] / "data" / "student.onnx"
GOOD = json.loads(ort.InferenceSession(str(STUDENT)).get_modelmeta().custom_metadata_map[METADATA_KEY])


def _forge(tmp_path: Path, value: str, name: str = "forged.onnx") -> Path:
    onnx = pytest.importorskip("onnx")  # the torch-free runtime venv has no onnx: these files need it
    m = onnx.load(str(STUDENT))
    for p in m.metadata_props:
        if p.key == METADATA_KEY:
            p.value = value
    onnx.save(m, str(tmp_path / name))
    return tmp_path / name


def _mod(**kw) -> str:
    return json.dumps({**GOOD, **kw})


FORGED = {
    "badjson": ("{not json", "is not JSON"),
    "list": ("[1, 2]", "is a JSON list, not an object"),
    "null": ("null", "is a JSON NoneType, not an object"),
    "rangestr": (_mod(input_range="ab"), "input_range='ab' should be two finite numbers"),
    "range55": (_mod(input_range=[5, 5]), r"input_range=\[5, 5\]: low must be below high"),
    "outrange_tiny": (_mod(output_range=[0, 1e-30]), "output_range=.* is not an image range"),
    "inf_range": ('{"model": "m", "input_range": [0, Infinity]}', "should be two finite numbers"),
    "stride0": (_mod(stride=0), "stride=0 should be a whole number from 1 to 512"),
    "stride_str": (_mod(stride="4"), "stride='4' should be a whole number"),
    "strideneg": (_mod(stride=-4), "stride=-4 should be"),
    "stride_huge": (_mod(stride=10**20), "stride=100000000000000000000 should be"),
    "stride_float": (_mod(stride=1e20), "stride=1e\\+20 should be"),
    "layout_xyz": (_mod(layout="XYZ"), "layout='XYZ': one of NCHW, NHWC"),
    "color_xyz": (_mod(color="XYZ"), "color='XYZ': one of RGB, BGR"),
    "height_neg": (_mod(height=-1, width=-1), "height=-1 should be a whole number of pixels from 1 to 8192"),
    "height_huge": (_mod(height=1000000, width=1000000), "height=1000000 should be"),
    "half_size": (_mod(height=64), "give both"),
    "ansi": (_mod(model="\x1b[2J\x1b[31mEVIL"), "model holds control characters"),
    "recurrent_bogus": (_mod(schema=2, recurrent="state"), "recurrent='state'"),
    "styles_int": (_mod(styles=5), "styles=5 should be a list"),
    "no_model": (json.dumps({"schema": 2}), "is incomplete"),
}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_forged_metadata_is_refused_in_one_line_naming_the_field(case):
    value, message = FORGED[case]
    with pytest.raises(MetadataError, match=message) as err:
        ArtifactMetadata.from_json(value, source="forged.onnx")
    assert str(err.value).startswith("forged.onnx: its stylelite metadata ")
    assert "\n" not in str(err.value) and "--process-size" not in str(err.value)


@pytest.mark.parametrize("case", ["badjson", "list", "rangestr", "stride_str", "layout_xyz", "height_huge"])
def test_an_engine_refuses_a_forged_file_in_one_line(tmp_path, case):
    path = _forge(tmp_path, FORGED[case][0])
    with pytest.raises(MetadataError, match="forged.onnx: its stylelite metadata"):
        load_engine(path)


def test_a_newer_schema_is_refused_as_newer_than_this_stylelite(tmp_path):
    path = _forge(tmp_path, _mod(bogus=1, schema=999))
    with pytest.raises(
        MetadataError, match=r"written by a newer stylelite \(metadata schema 999; this one reads 1 to "
    ):
        load_engine(path)


@pytest.mark.parametrize("case", ["range55", "layout_xyz", "height_neg", "stride0", "badjson"])
def test_run_of_a_forged_artifact_is_one_line_and_writes_nothing(tmp_path, case):
    path = _forge(tmp_path, FORGED[case][0])
    write_image(tmp_path / "in.png", make_photo(64, 64))
    r = run_cli("run", str(path), "-i", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"))
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("stylelite run: error: forged.onnx: its stylelite metadata")
    assert not (tmp_path / "out.png").exists()


def test_old_schema_json_reads_into_typed_fields():
    old = {
        "model": "mobilegen_t_050",
        "schema": 1,
        "input_range": [-1.0, 1.0],
        "styles": [],
        "extra": {"recurrent": "prev_output", "params": 90000, "gmacs_256": 0.25, "family": "mobilegen", "note": 1},
    }
    meta = ArtifactMetadata.from_json(json.dumps(old))
    assert meta.is_recurrent and meta.recurrent == "prev_output"
    assert (meta.params, meta.gmacs_256, meta.family) == (90000, 0.25, "mobilegen")
    assert meta.extra == {"note": 1} and meta.schema == SCHEMA_VERSION
    stamped = ArtifactMetadata.from_json(
        json.dumps({"model": "x", "extra": {"stamped_from": "x.onnx", "sha256_16": "ab"}})
    )
    assert stamped.is_stamped and stamped.stamped_sha256_16 == "ab"


def test_the_committed_old_artifacts_still_load():
    from stylelite.runtime.reference import reference_artifact
    from stylelite.runtime.tflite_file import STYLELITE_METADATA, metadata_entries

    meta = load_engine(STUDENT).meta
    assert GOOD["schema"] == 1 and (meta.family, meta.params) == ("mobilegen", 18659)
    for precision in ("int8", "fp16", "fp32"):
        ref = load_engine(reference_artifact(".onnx", precision)).meta
        assert ref.family == "reference" and ref.params and ref.precision == precision
    for precision in ("int8", "fp32"):  # read as the LiteRT engine does (LiteRT is an extra)
        raw = metadata_entries(reference_artifact(".tflite", precision))[STYLELITE_METADATA]
        ref = ArtifactMetadata.from_json(raw)
        assert ref.family == "reference" and ref.layout == "NHWC" and ref.precision == precision


def test_written_metadata_is_the_current_schema_with_typed_fields():
    meta = ArtifactMetadata("m", recurrent="prev_output", params=3, stamped_from="a.onnx")
    raw = json.loads(meta.to_json())
    assert raw["schema"] == SCHEMA_VERSION and raw["recurrent"] == "prev_output" and raw["extra"] == {}
    assert ArtifactMetadata.from_json(meta.to_json()) == meta
    assert meta.as_props()["stylelite.recurrent"] == "prev_output"


def test_no_string_keyed_model_capability_reads_outside_the_metadata_module():
    import re

    root = Path(__file__).resolve().parents[2] / "stylelite"
    offenders = [
        f"{p.relative_to(root)}:{i}"
        for p in root.rglob("*.py")
        if not p.name.startswith("metadata")
        for i, line in enumerate(p.read_text().splitlines(), 1)
        if re.search(r"\.extra(\.get\(|\[)", line)
    ]
    assert not offenders


def _graph(tmp_path: Path, nodes, inits, name: str, meta: ArtifactMetadata) -> Path:
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, "h", "w"])
    y = helper.make_tensor_value_info("out", TensorProto.FLOAT, None)
    model = helper.make_model(
        helper.make_graph(nodes, "g", [x], [y], inits), opset_imports=[helper.make_opsetid("", 17)]
    )
    model.ir_version = 8
    for k, v in meta.as_props().items():
        model.metadata_props.add(key=k, value=v)
    onnx.save(model, str(tmp_path / name))
    return tmp_path / name


def test_a_graph_that_fails_at_a_size_is_one_line(tmp_path):
    """s3_run_sizefail: a Reshape to 64x64 run on a 100x76 image."""
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    shape = helper.make_tensor("shape", TensorProto.INT64, [4], [1, 3, 64, 64])
    path = _graph(tmp_path, [helper.make_node("Reshape", ["image", "shape"], ["out"])], [shape], "c10.onnx",
                  ArtifactMetadata("sizefail"))  # fmt: skip
    write_image(tmp_path / "in.png", make_photo(76, 100))
    with pytest.raises(InputError, match=r"c10.onnx failed on a 100x76 frame \(.*Reshape"):
        load_engine(path).stylize(make_photo(76, 100))
    r = run_cli("run", str(path), "-i", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"))
    assert r.returncode == 1 and "Traceback" not in r.stderr and "failed on a 100x76 frame" in r.stderr
    assert not (tmp_path / "out.png").exists()


def test_run_of_a_graph_with_a_nan_weight_writes_no_image(tmp_path):
    """The output is checked, not only the weights: one NaN weight in a stylelite-stamped graph."""
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto

    proto = onnx.load(str(STUDENT))
    init = next(t for t in proto.graph.initializer if t.data_type == TensorProto.FLOAT and len(t.dims) == 4)
    values = onnx.numpy_helper.to_array(init).copy()
    values.flat[0] = np.nan
    init.CopyFrom(onnx.numpy_helper.from_array(values, init.name))
    path = tmp_path / "nan.onnx"
    onnx.save(proto, str(path))
    with pytest.raises(ExportError, match="nan.onnx returned NaN/Inf values on a 64x48 frame"):
        load_engine(path).stylize(make_photo(48, 64))
    write_image(tmp_path / "in.png", make_photo(48, 64))
    r = run_cli("run", str(path), "-i", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"))
    assert r.returncode == 1 and "returned NaN/Inf values" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out.png").exists()


def test_a_fake_tflite_file_is_one_line(tmp_path):
    """s3_run_fake_tfl: the TFL3 magic and random bytes."""
    fake = tmp_path / "fake.tflite"
    fake.write_bytes(b"\x18\x00\x00\x00TFL3" + np.random.default_rng(0).integers(0, 256, 4000, np.uint8).tobytes())
    from stylelite.runtime.tflite_file import metadata_entries

    with pytest.raises(InputError, match="fake.tflite is not a readable TFLite model"):
        metadata_entries(fake)
    write_image(tmp_path / "in.png", make_photo(64, 64))
    r = run_cli("run", str(fake), "-i", str(tmp_path / "in.png"), "-o", str(tmp_path / "out.png"))
    assert r.returncode == 1 and "Traceback" not in r.stderr and not (tmp_path / "out.png").exists()


def test_a_huge_image_under_a_memory_cap_is_one_line(tmp_path):
    """A 4097x4097 image under `ulimit -v` 2.5 GB: the memory check sees the cap (no onnxruntime traceback)."""
    import subprocess
    import sys

    import cv2

    cv2.imwrite(str(tmp_path / "big.png"), cv2.resize(make_photo(64, 64), (4097, 4097)))
    exe = Path(sys.executable).parent / "stylelite"
    cmd = f'ulimit -v 2500000; exec "{exe}" run "{STUDENT}" -i big.png -o out.png --no-progress'
    r = subprocess.run(["bash", "-c", cmd], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "Traceback" not in r.stderr and "onnxruntime" not in r.stderr.lower()
    assert "--process-size" in r.stderr and not (tmp_path / "out.png").exists()
