"""A style-conditioned black-box teacher distils into a style-conditioned student that the runtime drives."""

import numpy as np
import pytest
import torch
from torch import nn

from stylelite.distill.conditions import sample_conditions
from stylelite.distill.data import TeacherCache
from stylelite.distill.distiller import distill
from stylelite.models.graph_teacher import GraphCard, GraphTeacher
from stylelite.models.load import load_model
from stylelite.models.registry import create_student
from stylelite.runtime.errors import ConfigError
from tests.conftest import make_photo, run_cli

CARD = ("styles=warm,cool,mono", "style_input=style")


class _ThreeStyles(nn.Module):
    """Another team's style-conditioned generator in plain torch: a warm tint, a cool tint and monochrome,
    chosen (or blended) by a [B, 3] style vector."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("tints", torch.tensor([[0.5, 0.1, -0.4], [-0.4, 0.0, 0.5], [0.0, 0.0, 0.0]]))
        self.register_buffer("colour", torch.tensor([1.0, 1.0, 0.0]))  # how much colour each style keeps

    def forward(self, image, style):
        keep = (style * self.colour).sum(1)[:, None, None, None]
        base = keep * image + (1 - keep) * image.mean(1, keepdim=True)
        return torch.tanh(base + (style @ self.tints)[:, :, None, None])


class _WithStrength(nn.Module):
    """The same generator with its own strength input (after the image and the style)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = _ThreeStyles()

    def forward(self, image, style, strength):
        return strength[:, None, None, None] * self.net(image, style)


@pytest.fixture(scope="module")
def graphs(tmp_path_factory):
    d = tmp_path_factory.mktemp("styled")
    net = _ThreeStyles().eval()
    x, style = torch.rand(1, 3, 32, 32) * 2 - 1, torch.ones(1, 3) / 3
    axes = {"image": {0: "n", 2: "h", 3: "w"}, "style": {0: "n"}, "out": {0: "n", 2: "h", 3: "w"}}
    kw = dict(output_names=["out"], dynamo=False)
    torch.onnx.export(net, (x, style), str(d / "three.onnx"), input_names=["image", "style"], dynamic_axes=axes, **kw)
    strength_axes = {**axes, "strength": {0: "n"}}
    torch.onnx.export(
        _WithStrength().eval(), (x, style, torch.ones(1)), str(d / "strength.onnx"),
        input_names=["image", "style", "strength"], dynamic_axes=strength_axes, **kw,
    )  # fmt: skip
    torch.jit.trace(net, (x, style)).save(str(d / "three.pt"))
    torch.export.save(torch.export.export(net, (x, style)), str(d / "three.pt2"))
    return net, d


def test_every_graph_kind_labels_each_crop_under_its_own_condition(graphs):
    net, d = graphs
    photo = make_photo(64, 64, seed=5)
    for name in ("three.onnx", "three.pt", "three.pt2"):
        teacher = load_model(str(d / name), card=CARD, trust_graph_code=not name.endswith(".onnx")).model
        assert teacher.card.styles == ("warm", "cool", "mono")
        cache = TeacherCache(teacher, [photo], 6, 32, seed=0, taps=[], progress=False, n_styles=3)
        weights, strength = cache.conditions
        with torch.no_grad():
            styled = net(cache.inputs, weights)
        expected = strength[:, None, None, None] * styled + (1 - strength[:, None, None, None]) * cache.inputs
        torch.testing.assert_close(cache.outputs, expected, rtol=0, atol=1e-5, msg=name)
        x, y, features, cond = cache.batch(3)
        assert cond[0].shape == (3, 3) and cond[1].shape == (3,)


def test_a_strength_input_is_fed_not_blended(graphs):
    net, d = graphs
    teacher = GraphTeacher(d / "strength.onnx", GraphCard.parse([*CARD, "strength_input=strength"]))
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    weights, strength = torch.tensor([[1.0, 0, 0], [0, 0, 2.0]]), torch.tensor([0.5, 1.0])
    with torch.no_grad():  # the weights are normalised to sum 1, as the runtime's controls are
        expected = strength[:, None, None, None] * net(x, torch.tensor([[1.0, 0, 0], [0, 0, 1.0]]))
    torch.testing.assert_close(teacher.forward_styled(x, weights, strength), expected, rtol=0, atol=1e-5)


class _OneAtATime(nn.Module):
    """The same generator exported for one image and one style vector at a time (no batch axis on the style)."""

    def __init__(self) -> None:
        super().__init__()
        self.net = _ThreeStyles()

    def forward(self, image, style):
        return self.net(image, style[None])


def test_a_style_input_without_a_batch_axis_is_fed_one_image_at_a_time(graphs, tmp_path):
    net, _ = graphs
    path = tmp_path / "single.onnx"
    torch.onnx.export(_OneAtATime().eval(), (torch.rand(1, 3, 32, 32), torch.ones(3) / 3), str(path),
                      input_names=["image", "style"], output_names=["out"], dynamo=False,
                      dynamic_axes={"image": {2: "h", 3: "w"}, "out": {2: "h", 3: "w"}})  # fmt: skip
    teacher = GraphTeacher(path, GraphCard.parse(list(CARD)))
    x, weights = torch.rand(3, 3, 16, 16) * 2 - 1, torch.eye(3)
    with torch.no_grad():
        torch.testing.assert_close(
            teacher.forward_styled(x, weights, torch.ones(3)), net(x, weights), atol=1e-5, rtol=0
        )


def test_conditions_cover_every_control():
    weights, strength = sample_conditions(3, 400, np.random.default_rng(0))
    torch.testing.assert_close(weights.sum(1), torch.ones(400))
    one_style = (weights == 1).any(1)
    assert 0.4 < float((one_style & (strength == 1)).float().mean()) < 0.6  # one style at full strength
    assert 0.15 < float((~one_style).float().mean()) < 0.35  # blends of two styles
    assert 0.15 < float((strength < 1).float().mean()) < 0.35  # one style at part strength
    assert set(weights.argmax(1).tolist()) == {0, 1, 2}


@pytest.mark.parametrize(("name", "steps"), [("mobilegen_styled_s_050", 150), ("normgen_styled_t_050", 300)])
def test_styled_student_learns_each_style_and_runs_in_the_runtime(graphs, tmp_path, name, steps):
    from stylelite.export.api import export_model
    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.style_control import StyleControl

    _, d = graphs
    run = distill(
        teacher=str(d / "three.onnx"), teacher_card=CARD, student=name, w_feature=0.0,
        steps=steps, batch=4, crop=32, cache_size=64, temporal_batch=2, out=tmp_path, progress=False,
    )  # fmt: skip
    student = load_model(str(run / "student.safetensors")).model
    assert student.card.styles == ("warm", "cool", "mono")
    x = torch.from_numpy(make_photo(48, 64, seed=9)).permute(2, 0, 1)[None].float() / 127.5 - 1
    with torch.no_grad():
        out = {k: student.forward_styled(x, torch.eye(3)[k : k + 1], torch.ones(1)) for k in range(3)}
    warmth = {k: float((y[:, 0] - y[:, 2]).mean()) for k, y in out.items()}  # red minus blue
    chroma = {k: float(y.std(1).mean()) for k, y in out.items()}
    assert warmth[0] > warmth[1] + 0.3, warmth  # the warm style is redder than the cool one
    assert chroma[2] < 0.7 * min(chroma[0], chroma[1]), chroma  # mono is the least colourful (0 in the teacher)

    res = export_model(str(run / "student.safetensors"), tmp_path / "styled.onnx")
    assert res.verification.passed
    engine = load_engine(res.path)
    assert engine.meta.styles == ("warm", "cool", "mono")
    frame = make_photo(48, 64, seed=9)
    warm, cool = (engine.stylize(frame, StyleControl(style=s)) for s in ("warm", "cool"))
    assert float(np.abs(warm.astype(int) - cool.astype(int)).mean()) > 10


def test_a_plain_student_learns_the_first_style_and_a_card_must_be_complete(graphs, tmp_path):
    _, d = graphs
    args = ["--steps", "2", "--batch", "2", "--crop", "32", "--cache-size", "4", "--temporal-batch", "1"]
    args += ["--w-feature", "0", "-o", str(tmp_path / "runs")]
    card = [a for c in CARD for a in ("--teacher-card", c)]
    r = run_cli("distill", "--teacher", str(d / "three.onnx"), *card, "--student", "mobilegen_s_050", *args)
    assert r.returncode == 0, r.stderr[-1500:]  # a one-style student: the first style, said once
    assert "three.onnx is style-conditioned (warm, cool, mono); mobilegen_s_050 learns its first style" in r.stderr
    (run,) = (tmp_path / "runs").iterdir()
    assert load_model(str(run / "student.safetensors")).identity.styles == ()
    r = run_cli("distill", "--teacher", str(d / "three.onnx"), "--teacher-card", "styles=a,b,c", *args)
    assert r.returncode == 1 and "add style_input=NAME" in r.stderr and "Traceback" not in r.stderr
    r = run_cli("distill", "--teacher", str(d / "three.onnx"), "--teacher-card", "styles=a,b,c",
                "--teacher-card", "style_input=tint", "--student", "mobilegen_styled_s_050", *args)  # fmt: skip
    assert r.returncode == 1 and "has no input 'tint' (inputs: image, style)" in r.stderr
    with pytest.raises(ConfigError, match=r"takes style as \['n', 3\]: name 3 styles \(styles= has 2\)"):
        GraphTeacher(d / "three.onnx", GraphCard.parse(["styles=a,b", "style_input=style"]))
    assert len(list((tmp_path / "runs").iterdir())) == 1  # the refused runs left no folder
    with pytest.raises(ConfigError, match="has one style: use --student mobilegen_s_050"):
        distill(teacher=str(d / "three.onnx"), teacher_card=("inputs.style=1,0,0",),
                student="mobilegen_styled_s_050", w_feature=0.0, steps=1, out=tmp_path, progress=False)  # fmt: skip


def test_the_styled_student_starts_as_mobilegen_and_names_its_styles():
    student = create_student("mobilegen_styled_s_050").eval()
    plain = create_student("mobilegen_s_050").eval()
    plain.load_state_dict({k: v for k, v in student.state_dict().items() if k in plain.state_dict()})
    x = torch.rand(2, 3, 36, 44) * 2 - 1
    with torch.no_grad():  # FiLM starts at scale 1, shift 0: any condition renders what MobileGen renders
        torch.testing.assert_close(student.forward_styled(x, torch.rand(2, 5), torch.rand(2)), plain(x))
    student.set_style_names(["ink", "wash"])
    assert student.card.styles == ("ink", "wash")
    with pytest.raises(ValueError, match="9 style weights for a network with 8 style slots"):
        student.forward_styled(x, torch.ones(2, 9), torch.ones(2))


def test_a_styled_graph_is_distilled_not_stamped(graphs, tmp_path):
    from stylelite.export.stamp import stamp_graph
    from stylelite.runtime.errors import ExportError

    _, d = graphs
    with pytest.raises(ExportError, match="distil a style-conditioned graph into --student mobilegen_styled_s_050"):
        stamp_graph(d / "three.onnx", CARD, tmp_path / "stamped.onnx")
    assert not list(tmp_path.iterdir())


def test_the_multistyle_teacher_distils_with_its_features_under_each_condition(tmp_path):
    from tests.conftest import multistyle_weights

    _, net = multistyle_weights(tmp_path / "ms.safetensors", ["ink", "wash"])
    cache = TeacherCache(net.eval(), [make_photo(64, 64, seed=2)], 4, 32, seed=0, taps=["deep"], progress=False,
                         n_styles=2)  # fmt: skip
    weights, strength = cache.conditions
    with torch.no_grad():
        y, feats = net.forward_features(cache.inputs, lambda x: net.forward_styled(x, weights, strength))
    torch.testing.assert_close(cache.outputs, y)
    torch.testing.assert_close(cache.features["deep"].float(), feats["deep"], atol=2e-3, rtol=2e-3)  # stored fp16
    run = distill(teacher="multistyle", teacher_checkpoint=str(tmp_path / "ms.safetensors"),
                  student="mobilegen_styled_s_050", steps=2, batch=2, crop=32, cache_size=4, temporal_batch=1,
                  out=tmp_path / "runs", progress=False)  # fmt: skip
    assert load_model(str(run / "student.safetensors")).identity.styles == ("ink", "wash")


def test_being_style_conditioned_is_read_off_the_card_not_probed():
    from types import SimpleNamespace

    from stylelite.distill.conditions import check_styled_pair, teacher_styles
    from stylelite.models.registry import ModelCard

    styled = SimpleNamespace(card=ModelCard("two_slots", "f", styles=("a", "b")), slots=1)  # no forward_styled
    assert teacher_styles(styled) == ("a", "b")
    with pytest.raises(ConfigError, match="^t has 3 styles; two_slots holds at most 1$"):
        check_styled_pair("t", ("a", "b", "c"), styled)
    check_styled_pair("t", ("a",), SimpleNamespace(card=ModelCard("plain", "f"), set_style_names=print))  # one style


def test_a_style_conditioned_label_store_keeps_each_crops_condition(graphs, tmp_path):
    from stylelite.distill.label_store import LabelStore, read_shard, read_spec

    _, d = graphs
    store = tmp_path / "labels"
    run = distill(
        teacher=str(d / "three.onnx"), teacher_card=CARD, student="normgen_styled_t_050", labels=str(store),
        label_crops=40, label_view="frame", crop=32, steps=2, batch=4, temporal_batch=1, out=tmp_path / "r",
        progress=False,
    )  # fmt: skip
    assert read_spec(store).styles == 3
    x, y, weights, strength = read_shard(store / "labels-00000.npz", 40, 32, styles=3)
    assert weights.shape == (40, 3) and np.allclose(weights.sum(1), 1) and strength.shape == (40,)
    teacher = GraphTeacher(d / "three.onnx", GraphCard.parse(CARD))
    with torch.no_grad():  # each stored output is the teacher under that crop's own condition
        want = teacher.forward_styled(torch.from_numpy(x[:4]).permute(0, 3, 1, 2).float() / 127.5 - 1,
                                      torch.from_numpy(weights[:4]), torch.from_numpy(strength[:4]))  # fmt: skip
    got = torch.from_numpy(y[:4]).permute(0, 3, 1, 2).float() / 127.5 - 1
    assert float((want - got).abs().max()) < 0.02
    _, _, _, cond = LabelStore(store).batch(5)
    assert cond[0].shape == (5, 3) and cond[1].shape == (5,)
    assert load_model(str(run / "student.safetensors")).model.card.styles == ("warm", "cool", "mono")


def test_a_shard_with_forged_conditions_is_refused(tmp_path):
    from stylelite.distill.label_store import read_shard
    from stylelite.runtime.errors import InputError

    crops = np.zeros((2, 32, 32, 3), np.uint8)
    bad = {
        "inputs": crops,
        "outputs": crops,
        "weights": np.float32([[2, -1], [0.5, 0.5]]),
        "strength": np.ones(2, np.float32),
    }
    np.savez(tmp_path / "labels-00000.npz", **bad)
    with pytest.raises(InputError, match="conditions that are not 2 style mixes of 2"):
        read_shard(tmp_path / "labels-00000.npz", 2, 32, styles=2)
    with pytest.raises(InputError, match="other arrays than inputs, outputs"):
        read_shard(tmp_path / "labels-00000.npz", 2, 32)
