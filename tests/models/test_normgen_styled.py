"""The conditional-instance-norm student: per-style scales and shifts, blended as its teacher blends."""

import torch

from stylelite.models.normgen_styled import CondNorm
from stylelite.models.registry import create_student


def _randomised(name: str = "normgen_styled_t_050"):
    torch.manual_seed(0)
    model = create_student(name).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return model


def test_a_blend_is_the_blend_of_the_styles_scales_and_shifts():
    norm = CondNorm(4, 3)
    with torch.no_grad():
        for p in norm.parameters():
            p.copy_(torch.randn_like(p))
    x = torch.randn(1, 4, 8, 8)
    one, two = torch.eye(3)[:1], torch.eye(3)[1:2]
    mixed = norm(x, 0.25 * one + 0.75 * two)
    assert torch.allclose(mixed, 0.25 * norm(x, one) + 0.75 * norm(x, two), atol=1e-5)


def test_strength_blends_the_drawing_with_the_input_and_styles_differ():
    model = _randomised()
    x = torch.rand(2, 3, 40, 52) * 2 - 1
    w = torch.eye(26)[:2]
    with torch.no_grad():
        assert torch.allclose(model.forward_styled(x, w, torch.zeros(2)), x, atol=1e-6)
        full, half = model.forward_styled(x, w, torch.ones(2)), model.forward_styled(x, w, torch.full((2,), 0.5))
        assert torch.allclose(half, (full + x) / 2, atol=1e-5)
        assert (full[0] - full[1]).abs().mean() > 0.01  # style 0 and style 1 draw differently
        assert torch.allclose(model(x[:1]), model.forward_styled(x[:1], torch.eye(26)[:1], torch.ones(1)))


def test_it_names_its_styles_and_holds_magentas_26():
    model = create_student("normgen_styled_t_050")
    assert model.slots >= 26 and model.card.family == "normgen_styled"
    model.set_style_names([f"style_{i:02d}" for i in range(26)])
    assert model.card.styles[25] == "style_25" and len(model.card.styles) == 26


def test_shipped_weights_carry_their_licence_and_source(tmp_path, monkeypatch):
    from stylelite.distill.training_state import save_weights
    from stylelite.models import registry

    monkeypatch.setattr(registry, "WEIGHTS_DIR", tmp_path)
    monkeypatch.setattr(registry, "PRETRAINED", dict(registry.PRETRAINED))
    monkeypatch.setattr(registry, "PRETRAINED_CARDS", dict(registry.PRETRAINED_CARDS))
    save_weights(tmp_path / "w.safetensors", create_student("normres_t_050"))
    registry.register_pretrained(
        "normres_t_050.probe", "w.safetensors", "a test", license="MIT (distilled from an MIT teacher)", source="t"
    )
    model = registry.create_student("normres_t_050.probe")
    assert model.card.license == "MIT (distilled from an MIT teacher)" and model.card.source == "t"
    assert create_student("normres_t_050").card.license == "same as the teacher it was distilled from"
