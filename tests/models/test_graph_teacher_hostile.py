"""Issue 28, surfaces 1 and 2: graph teachers, their cards and `inspect`, tried as a hostile user would.

Every refusal is one line (a StyleliteError), nothing runs that was not asked to: a .pt2 is read without
unpickling, a TorchScript or .pt2 program runs only with trust_graph_code, and inspect runs nothing.
"""

import json
import zipfile

import numpy as np
import pytest
import torch

from stylelite.models.graph_card import GraphCard
from stylelite.models.graph_teacher import GraphTeacher, probe_graph_teacher
from stylelite.models.inspection import format_inspection, inspect_file
from stylelite.models.pt2_file import load_exported_program
from stylelite.runtime.errors import ConfigError, InputError, StyleliteError
from tests.conftest import make_photo
from tests.models import graph_fixtures as fx


@pytest.fixture(scope="module")
def photo():
    return make_photo(32, 32, seed=3)


@pytest.fixture(scope="module")
def pt2(tmp_path_factory):
    return fx.good_pt2(tmp_path_factory.mktemp("pt2") / "good.pt2")


# -- security: a .pt2 never unpickles, a program never runs untrusted -----------------------------------------


def test_a_pickle_inside_a_pt2_runs_nothing_even_when_trusted(pt2, tmp_path):
    """s1_pt2_evil: torch.export.load would retry the sample inputs with weights_only=False."""
    marker = tmp_path / "PWNED_pt2"
    evil = fx.evil_pt2(pt2, tmp_path / "evil.pt2", marker)
    with pytest.raises(ConfigError, match="evil.pt2 is a torch.export program .*pass --trust-graph-code"):
        GraphTeacher(evil, GraphCard())
    with pytest.raises(InputError, match="evil.pt2 holds a pickle that is not plain tensors.*does not unpickle"):
        GraphTeacher(evil, GraphCard(), trust_graph_code=True)
    with pytest.raises(InputError, match="does not unpickle"):
        load_exported_program(evil)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("member", "found"),
    [
        ("data/aotinductor/model/model.so", "holds 'data/aotinductor/model/model.so'"),  # native code
        ("data/constants/opaque_obj_0", "holds 'data/constants/opaque_obj_0'"),  # plain pickle.loads
        ("data/constants/custom_obj_0", "holds 'data/constants/custom_obj_0'"),  # torchbind objects
    ],
)
def test_a_pt2_member_torch_would_unpickle_or_load_as_code_is_refused_unread(pt2, tmp_path, member, found):
    bad = fx.rewritten_zip(pt2, tmp_path / "odd.pt2", {member: b"\x80\x02N."})
    with pytest.raises(InputError, match=f"odd.pt2 {found}, which is not part of a plain torch.export program"):
        load_exported_program(bad)


def test_pickled_weights_in_a_pt2_config_are_refused(pt2, tmp_path):
    def pickled(raw: bytes) -> bytes:
        config = json.loads(raw)
        config["config"] = {"w": {"path_name": "weight_0", "use_pickle": True}}
        return json.dumps(config).encode()

    bad = fx.rewritten_zip(pt2, tmp_path / "pickled.pt2", {"_constants_config.json": pickled})
    with pytest.raises(InputError, match="pickled.pt2 stores 'w' as a pickle, and stylelite does not unpickle"):
        load_exported_program(bad)


def test_a_broken_pt2_is_one_line(pt2, tmp_path):
    """s1_pt2_bad: models/model.json replaced by `{ not json`."""
    bad = fx.rewritten_zip(pt2, tmp_path / "bad.pt2", {"models/model.json": b"{ not json"})
    with pytest.raises(InputError, match="bad.pt2 is not a loadable torch.export archive"):
        GraphTeacher(bad, GraphCard(), trust_graph_code=True)
    (tmp_path / "cut.pt2").write_bytes(pt2.read_bytes()[:300])
    with pytest.raises(StyleliteError):
        GraphTeacher(tmp_path / "cut.pt2", GraphCard(), trust_graph_code=True)


def test_a_plain_pt2_still_loads_and_labels(pt2, photo):
    teacher = GraphTeacher(pt2, GraphCard(), trust_graph_code=True)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    torch.testing.assert_close(teacher(x), torch.tanh(x))


def test_a_torchscript_teacher_runs_only_when_trusted(tmp_path, photo):
    """s1_ts_evil2: the program overwrites a host file when it runs."""
    sentinel = tmp_path / "sentinel.txt"
    sentinel.write_text("ORIGINAL-CONTENT")
    evil = fx.evil_torchscript(tmp_path / "ts_evil2.pt", sentinel)
    with pytest.raises(ConfigError, match=r"ts_evil2.pt is a TorchScript program: .*pass --trust-graph-code"):
        GraphTeacher(evil, GraphCard())
    from stylelite.models.load import load_model

    with pytest.raises(ConfigError, match="trust_graph_code=True in Python"):
        load_model(evil)
    assert sentinel.read_text() == "ORIGINAL-CONTENT"
    probe_graph_teacher(GraphTeacher(evil, GraphCard(), trust_graph_code=True), photo)  # the user's choice
    assert sentinel.read_text().startswith("XXXXXXXX")


# -- runtimes' refusals in one line ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: fx.external_data_onnx(d / "ext_rel.onnx", "../../../../../etc/passwd"), "outside its folder"),
        (lambda d: fx.external_data_onnx(d / "ext_abs.onnx", "/etc/passwd"), "outside its folder"),
        (lambda d: fx.external_data_onnx(d / "ext_gone.onnx", "gone.bin"), "external data file is missing"),
        (lambda d: fx.custom_op_onnx(d / "customop.onnx"), r"operator onnxruntime does not have \(evil.domain"),
        (lambda d: fx.fake_tflite(d / "fake.tflite"), "LiteRT: its FlatBuffer does not verify"),
    ],
    ids=["s1_ext_rel", "s1_ext_abs", "ext_missing", "s1_customop", "s1_fake_tfl"],
)
def test_a_graph_its_runtime_refuses_is_one_line(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(InputError, match=f"{path.name} could not be opened by .*{message}") as info:
        GraphTeacher(path, GraphCard())
    assert "\n" not in str(info.value)


def test_a_tflite_graph_without_a_card_is_nhwc():
    """s1_tfl_nocard: a TFLite graph's images are NHWC, as stamping takes them; a card saying NCHW is told so."""
    from stylelite.models.load import load_model
    from stylelite.runtime.reference import reference_artifact

    path = reference_artifact(".tflite", "fp32")
    assert load_model(path).model.graph_card.layout == "NHWC"
    with pytest.raises(ConfigError, match=r"not NCHW with 3 channels: add layout=NHWC \(a TFLite graph's images"):
        load_model(path, card=("layout=NCHW",))


def test_a_scalar_first_output_is_named(tmp_path):
    """s1_2out_a: the image must be output 0."""
    path = fx.scalar_first_onnx(tmp_path / "twoout.onnx")
    with pytest.raises(ConfigError, match=r"its first output s is \[\], not an image batch; .*must be output 0"):
        GraphTeacher(path, GraphCard())


# -- graphs correct at batch 1 only ---------------------------------------------------------------------------


def test_a_batch_one_graph_is_named_before_labelling_and_runs_with_batch_1(tmp_path, photo):
    """s1_batchone: Reshape to [1, 3, -1, W] returns [1, 3, 2H, W] for a batch of 2."""
    path = fx.batch_one_onnx(tmp_path / "batchone.onnx")
    teacher = GraphTeacher(path, GraphCard())
    with pytest.raises(ConfigError, match=r"returned \[1, 3, 64, 32\] for a batch of 2 frames: .*add batch=1"):
        probe_graph_teacher(teacher, photo)
    with pytest.raises(ConfigError, match="for a batch of 4 frames"):  # also when labelling, not only in the probe
        teacher(torch.zeros(4, 3, 16, 16))
    one = GraphTeacher(path, GraphCard.parse(["batch=1"]))
    probe_graph_teacher(one, photo)
    x = torch.rand(3, 3, 16, 16) * 2 - 1
    torch.testing.assert_close(one(x), torch.tanh(x))


def test_a_torchscript_graph_that_raises_above_batch_1_is_one_line(tmp_path, photo):
    """s1_ts_batchfail."""
    path = fx.batch_fail_torchscript(tmp_path / "ts_batchfail.pt")
    teacher = GraphTeacher(path, GraphCard(), trust_graph_code=True)
    with pytest.raises(
        ConfigError, match=r"failed on a batch of 2 32x32 frames \(.*batch > 1 not supported\).*batch=1"
    ):
        probe_graph_teacher(teacher, photo)
    probe_graph_teacher(GraphTeacher(path, GraphCard.parse(["batch=1"]), trust_graph_code=True), photo)


# -- the card: every value typed and bounded ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("inputs.x=abc", r"inputs.x='abc': give numbers"),  # s1_card5
        ("input_range=0,inf", r"input_range=\[0.0, inf\]: give two finite numbers"),  # s1_card7
        ("output_range=-1e308,1e308", r"output_range=.* is not an image's value range"),  # s1_card10
        ("output_range=0,1e-30", r"output_range=.* is not an image's value range"),
        ("stride=99999999999999999999", r"stride=99999999999999999999: use a whole number from 1 to 512"),  # s1_card13
        ("stride=0", "stride=0: use a whole number from 1 to"),
        ("batch=8", "batch=8: use batch=1"),
        ("layout=XYZ", "layout='XYZ': use NCHW or NHWC"),
    ],
)
def test_a_bad_card_value_is_blamed_on_the_card(spec, message):
    with pytest.raises(ConfigError, match=message):
        GraphCard.parse([spec])


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('input_range = "abc"', r"input_range='abc': give two finite numbers"),  # s1_toml_str_range
        ("input_range = 5", "input_range=5: give two finite numbers"),  # s1_toml_int_range
        ('inputs = "x"', "inputs='x': give a table of NAME"),  # s1_toml_inputs_str
        ('[inputs]\nx = "abc"', r"inputs.x='abc': give finite numbers"),  # s1_toml_inputs_x_str
        ("styles = 5", "styles=5: give style names"),  # s1_toml_styles_int
        ("input_range = [0, 1e400]", r"input_range=\[0, inf\]: give two finite numbers"),  # s1_toml_inf
        ("stride = 1e20", "stride=1e.20: use a whole number"),
        ("stride = true", "stride=True: use a whole number"),
        ("layout = 3", "layout=3: use NCHW or NHWC"),
    ],
)
def test_a_bad_toml_card_is_one_line_naming_the_field(tmp_path, toml, message):
    card = tmp_path / "card.toml"
    card.write_text(toml + "\n")
    with pytest.raises(ConfigError, match=message):
        GraphCard.parse([str(card)])


def test_a_good_toml_card_reads_as_typed(tmp_path):
    card = tmp_path / "card.toml"
    card.write_text('input_range = [0, 255]\nlayout = "nhwc"\nstride = 8\n[inputs]\nstyle = [1, 0, 0]\n')
    parsed = GraphCard.parse([str(card)])
    assert parsed.input_range == (0.0, 255.0) and parsed.layout == "NHWC" and parsed.stride == 8
    assert parsed.inputs == {"style": [1.0, 0.0, 0.0]}
    with pytest.raises(ConfigError, match="is a folder"):
        GraphCard.parse([str(tmp_path)])


# -- inspect: runs nothing, refuses in one line ---------------------------------------------------------------


def test_inspect_refuses_in_one_line(tmp_path):
    (tmp_path / "adir.pth").mkdir()
    with pytest.raises(StyleliteError, match="adir.pth is a folder"):  # s2_ins_dir
        inspect_file(tmp_path / "adir.pth")
    (tmp_path / "sparse.onnx").write_bytes(b"\0" * 4096)
    with pytest.raises(InputError, match="sparse.onnx could not be opened by onnxruntime: it is not a valid ONNX"):
        inspect_file(tmp_path / "sparse.onnx")  # s2_ins_sparse_onnx
    for name, location in (("rel.onnx", "../../../../etc/passwd"), ("abs.onnx", "/etc/passwd")):  # s2_ins_ext_rel
        with pytest.raises(InputError, match=f"{name} could not be opened .*outside its folder"):
            inspect_file(fx.external_data_onnx(tmp_path / name, location))
    with pytest.raises(StyleliteError, match="fake.tflite"):  # s2_ins_fake_tfl
        inspect_file(fx.fake_tflite(tmp_path / "fake.tflite"))


def test_inspect_lists_a_program_without_running_or_unpickling_it(pt2, tmp_path):
    marker = tmp_path / "PWNED"
    info = inspect_file(fx.evil_pt2(pt2, tmp_path / "evil.pt2", marker))
    assert "--trust-graph-code" in format_inspection(info) and not marker.exists()
    with zipfile.ZipFile(tmp_path / "evil.pt2") as z:
        assert len(info["members"]) == min(20, len(z.namelist()))


def test_inspect_suggests_a_prefix_and_a_rename_together(tmp_path):
    """s2_km_none: a fork's file needs `netG.=` and `blk=blocks` at once."""
    from stylelite.models.registry import create_student

    state = create_student("shufflegen_t_038").state_dict()
    fork = {("netG." + k).replace("blocks.", "blk."): v for k, v in state.items()}
    torch.save(fork, tmp_path / "fork.pth")
    assert inspect_file(tmp_path / "fork.pth")["fits"] == "shufflegen_t_038 with --key-map 'netG.=' 'blk=blocks'"
    np.testing.assert_equal(len(fork), len(state))


def test_inspect_describes_a_graph_whose_stylelite_metadata_is_unreadable(tmp_path):
    """A graph with a forged `stylelite` metadata entry: inspect says what is wrong with it and lists the rest
    (run and bench refuse such a file in one line; inspect is where a person looks to find out why)."""
    import onnx

    path = fx.tanh_onnx(tmp_path / "forged.onnx")
    model = onnx.load(str(path))
    onnx.helper.set_model_props(model, {"stylelite": '{"model": "x", "schema": 2, "precision": "fp64"}'})
    onnx.save(model, str(path))
    text = format_inspection(inspect_file(path))
    assert "stylelite metadata: unreadable (forged.onnx: its stylelite metadata is invalid: precision=" in text
    assert "input x" in text and "styles" not in text and "know how to feed it" not in text
