"""The card is declared where a model is registered, the identity holds it, and what a model is (styles,
recurrent state) is a typed field of the card and of the artifact metadata."""

import pytest
import torch

from stylelite.models.identity import ModelIdentity
from stylelite.models.load import load_model
from stylelite.models.metadata import model_metadata
from stylelite.models.registry import STUDENTS, TEACHERS, ModelCard
from stylelite.runtime.metadata import PREV_OUTPUT_INPUT


def test_a_declared_card_is_read_without_building_the_model(monkeypatch):
    from stylelite.models import mobilegen_temporal

    built = []
    monkeypatch.setattr(mobilegen_temporal.MobileGenTemporal, "__init__", lambda *a, **k: built.append(1))
    card = STUDENTS.get("mobilegen_t_050").card
    assert card.name == "mobilegen_t_050" and card.recurrent == PREV_OUTPUT_INPUT and not built


def test_teacher_cards_are_declared_at_registration_but_the_run_time_styled_one():
    undeclared = {name for name in TEACHERS.names() if TEACHERS.get(name).card is None}
    assert undeclared == {"multistyle"}  # its styles are set at run time: it computes its card
    assert TEACHERS.get("pix2pix_unet256").card.stride == 256
    assert TEACHERS.get("fast_neural_style").card.input_range == (0.0, 255.0)


def test_a_teacher_variant_carries_the_declared_card_refined():
    builder = TEACHERS.get("cyclegan_r9")
    with torch.device("meta"):
        card = builder(use_dropout=True, affine=True).card
    assert card.name == "cyclegan_r9" and card.extra == {"dropout": True, "norm": "instance_affine"}
    assert builder.card.extra == {} and "--no_dropout" in builder.card.source


@pytest.mark.parametrize("name", STUDENTS.names() + TEACHERS.names())
def test_every_model_carries_a_card_named_as_it_is_registered(name):
    registry = STUDENTS if name in STUDENTS else TEACHERS
    builder = registry.get(name)
    model = builder()
    assert isinstance(model.card, ModelCard) and model.card.name == name
    if builder.card is not None:  # declared at registration: attached as declared
        assert model.card == builder.card


def test_the_identity_holds_the_card_and_the_metadata_is_typed():
    model, identity = load_model("mobilegen_t_050")
    assert identity.card == model.card and identity.recurrent == PREV_OUTPUT_INPUT
    meta = model_metadata(model, identity)
    assert meta.is_recurrent and meta.family == "mobilegen" and meta.params > 0 and "recurrent" not in meta.extra
    _, plain = load_model("mobilegen_s_025")
    assert not model_metadata(load_model("mobilegen_s_025").model, plain).is_recurrent


def test_style_names_are_a_card_field():
    model, identity = load_model("multistyle")
    assert identity.styles == tuple(model.style_list) and model.card.styles == identity.styles
    assert "styles" not in model.card.extra
    assert ModelIdentity(card=ModelCard("x", "y"), weights="w").styles == ()


def test_distill_config_checks_a_recurrent_student_without_building_it(monkeypatch):
    from stylelite.distill.distill_config import DistillConfig
    from stylelite.models import mobilegen_temporal
    from stylelite.runtime.errors import ConfigError

    monkeypatch.setattr(mobilegen_temporal.MobileGenTemporal, "__init__", lambda *a, **k: pytest.fail("built"))
    with pytest.raises(ConfigError, match="mobilegen_t_050 is recurrent and has no int8 export"):
        DistillConfig(student="mobilegen_t_050", qat="int8", teacher="cyclegan_r9_bn.cartoon")
