"""`stylelite train-teacher --family ...`: every family trains and writes a complete run folder,
losses fall, a run resumes, torchrun scales it out, and every teacher can be distilled."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

from stylelite.distill.trainers import FamilyTrainConfig, train_teacher_family
from stylelite.distill.trainers.data import ImageDomain
from stylelite.distill.trainers.gan import ImagePool, gradient_penalty
from stylelite.models.load import load_model, weights_metadata
from stylelite.runtime.errors import CheckpointError, ConfigError
from stylelite.runtime.files import read_jsonl
from stylelite.runtime.synthetic import make_camera_clip
from stylelite.runtime.video import write_image, write_video
from tests.conftest import ROOT, make_photo, run_cli

torch.set_num_threads(1)
TINY = dict(steps=2, batch=1, crop=32, threads=1, log_every=1)
RANDOM_VGG = dict(vgg_random_width=0.125)  # a narrow random VGG-16: the real one is a 528 MB download


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("teacher_data")
    for domain, seed in (("a", 0), ("b", 10)):
        for i in range(2):
            write_image(root / domain / f"{i}.png", make_photo(48, 64, seed=seed + i))
    write_image(root / "style.png", make_photo(64, 64, seed=99))
    write_image(root / "style2.png", make_photo(64, 64, seed=98))
    video = write_video(root / "clip.mp4", make_camera_clip(make_photo(), frames=6, size=(64, 48)), fps=10)
    return {"a": str(root / "a"), "b": str(root / "b"), "video": str(video), "root": root}


def family_config(family: str, data, **overrides) -> FamilyTrainConfig:
    kw = dict(TINY)
    if family in ("cyclegan", "unit", "pix2pix"):
        kw.update(data_a=(data["a"], data["video"]), data_b=(data["b"],))
        if family == "pix2pix":
            kw.update(data_a=(data["a"],), generator="cyclegan_r9_bn", gan_loss="wgangp")  # paired, by file name
        if family == "cyclegan":
            kw.update(generator="cyclegan_r6")
    else:
        styles = (str(data["root"] / "style.png"),)
        if family == "multistyle":
            styles = (f"ink={data['root'] / 'style.png'}", f"wash={data['root'] / 'style2.png'}")
        kw.update(data_a=(data["a"], data["video"]), styles=styles, batch=2, **RANDOM_VGG)
    kw.update(overrides)
    return FamilyTrainConfig(family=family, **kw)


# ---------------------------------------------------------------- each family, end to end


@pytest.mark.parametrize("family", ["cyclegan", "unit", "pix2pix", "multistyle", "fast_neural_style"])
def test_family_trains_and_writes_a_complete_run(tmp_path, data, family):
    config = family_config(family, data)
    run = train_teacher_family(config, out=tmp_path, progress=False)
    assert run.name == f"00001-{family}-{config.generator}"
    for name in (
        "config.json",
        "versions.json",
        "launch.json",
        "log.jsonl",
        "state.safetensors",
        "teacher_fp16.safetensors",
    ):
        assert (run / name).exists(), name
    assert any((run / "tb").iterdir())
    saved = json.loads((run / "config.json").read_text())
    assert saved["family"] == family and saved["steps"] == 2 and saved["lr"] == config.lr  # resolved defaults
    assert "torch" in json.loads((run / "versions.json").read_text())
    log = read_jsonl(run / "log.jsonl")
    assert [r["step"] for r in log] == [1, 2] and all(np.isfinite(v) for r in log for v in r.values())
    # The weights name their registered architecture: load_model(path) and `distill --teacher` work.
    assert weights_metadata(run / "teacher_fp16.safetensors")["teacher"] == config.generator
    model, identity = load_model(str(run / "teacher_fp16.safetensors"))
    assert identity.name == config.generator
    load_model(config.generator, run / "teacher_fp16.safetensors")  # as `distill --teacher-checkpoint` loads it
    lo, hi = model.card.input_range
    with torch.no_grad():
        y = model(torch.rand(1, 3, 32, 32) * (hi - lo) + lo)
    assert y.shape == (1, 3, 32, 32) and torch.isfinite(y).all()
    if family == "multistyle":
        assert model.card.styles == ("ink", "wash")
        assert weights_metadata(run / "teacher_fp16.safetensors")["styles"] == "ink,wash"
    if family in ("cyclegan", "unit"):
        assert weights_metadata(run / "teacher_b2a_fp16.safetensors")["direction"] == "b2a"


def fixed_batches(monkeypatch):
    """Make every ImageDomain return its first batch again: a deterministic, learnable target."""
    real, first = ImageDomain.batch, {}

    def batch(self, n, input_range=(-1.0, 1.0)):
        key = (id(self), input_range)
        if key not in first:
            first[key] = real(self, n, input_range)
        return first[key].clone()

    monkeypatch.setattr(ImageDomain, "batch", batch)


def falls(values: list[float]) -> bool:
    return float(np.mean(values[-5:])) < 0.8 * float(np.mean(values[:5]))


def test_cyclegan_cycle_loss_falls_on_a_fixed_batch(tmp_path, data, monkeypatch):
    from stylelite.distill.trainers import cyclegan
    from stylelite.models.cyclegan_resnet import ResnetGenerator, _card
    from stylelite.models.patchgan import NLayerDiscriminator
    from stylelite.models.registry import ModelCard

    def small_generator(name):  # the loop and losses under test, with networks small enough for CI
        g = ResnetGenerator(n_blocks=2, ngf=8)
        g.card = ModelCard(name=name, **_card(2))
        return g

    monkeypatch.setattr(cyclegan, "create_teacher", small_generator)
    monkeypatch.setattr(cyclegan, "NLayerDiscriminator", lambda input_nc: NLayerDiscriminator(input_nc, ndf=8))
    fixed_batches(monkeypatch)
    config = family_config("cyclegan", data, steps=25, lr=2e-3, save_every=100)
    run = train_teacher_family(config, out=tmp_path, progress=False)
    log = read_jsonl(run / "log.jsonl")
    assert len(log) == 25
    assert falls([r["loss_cycle"] for r in log]), [round(r["loss_cycle"], 3) for r in log]


def test_fast_neural_style_loss_falls_on_a_fixed_batch(tmp_path, data, monkeypatch):
    fixed_batches(monkeypatch)
    run = train_teacher_family(
        family_config("fast_neural_style", data, steps=25, lr=5e-3), out=tmp_path, progress=False
    )
    log = read_jsonl(run / "log.jsonl")
    assert falls([r["loss"] for r in log]), [round(r["loss"]) for r in log]
    assert all(r["content"] > 0 and r["style"] > 0 and r["tv"] > 0 for r in log)


def test_resume_finishes_an_interrupted_run(tmp_path, data, monkeypatch):
    from stylelite.distill.trainers.fast_neural_style import FastNeuralStyleTrainer

    real, calls = FastNeuralStyleTrainer.train_step, {"n": 0}

    def flaky(self):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # Ctrl-C during step 3
        return real(self)

    monkeypatch.setattr(FastNeuralStyleTrainer, "train_step", flaky)
    with pytest.raises(KeyboardInterrupt):
        train_teacher_family(
            family_config("fast_neural_style", data, steps=4, save_every=1), out=tmp_path, progress=False
        )
    run = next(tmp_path.iterdir())
    assert not (run / "teacher_fp16.safetensors").exists()
    monkeypatch.setattr(FastNeuralStyleTrainer, "train_step", real)
    assert train_teacher_family(resume=run, progress=False) == run
    assert [r["step"] for r in read_jsonl(run / "log.jsonl")] == [1, 2, 3, 4]  # continued at step 3
    assert (run / "teacher_fp16.safetensors").exists()


# ---------------------------------------------------------------- building blocks


def test_missing_vgg_file_is_a_one_line_error_naming_it(tmp_path, data):
    style = (str(data["root"] / "style.png"),)
    with pytest.raises(ConfigError, match=r"--vgg PATH to torchvision's ImageNet VGG-16 file vgg16-397923af\.pth") as e:
        FamilyTrainConfig(family="fast_neural_style", styles=style)
    assert "\n" not in str(e.value) and "features.0.weight" in str(e.value)
    missing = tmp_path / "vgg16-397923af.pth"
    with pytest.raises(CheckpointError, match=r"VGG-16 weights not found: .*vgg16-397923af\.pth; expected") as e:
        FamilyTrainConfig(family="multistyle", styles=style, vgg=str(missing))
    assert "\n" not in str(e.value)


def test_vgg_loads_torchvision_layout_strictly(tmp_path):
    from stylelite.distill.trainers.perceptual import VGG16_RELU, VGG16Features, load_vgg16_features

    ref = VGG16Features()
    state = {**ref.state_dict(), "classifier.0.weight": torch.zeros(4, 4)}  # classifier.* is ignored
    assert sorted({k.split(".")[1] for k in ref.state_dict()}, key=int)[-1] == "28"
    torch.save(state, tmp_path / "vgg16-397923af.pth")
    loaded = load_vgg16_features(tmp_path / "vgg16-397923af.pth")
    assert torch.equal(loaded.features[28].weight, ref.features[28].weight)
    assert VGG16_RELU == {"relu1_2": 3, "relu2_2": 8, "relu3_3": 15, "relu4_3": 22}
    del state["features.28.bias"]
    torch.save(state, tmp_path / "cut.pth")
    with pytest.raises(
        CheckpointError, match=r"not torchvision's ImageNet VGG-16 .*missing keys \(features\.28\.bias\)"
    ):
        load_vgg16_features(tmp_path / "cut.pth")


def test_data_sources_sample_videos_shard_by_rank_and_pair_crops(data):
    from stylelite.distill.trainers.data import PairedDomains, list_sources, load_images, video_frames

    assert len(video_frames(data["video"], every=2)) == 3  # frames 0, 2, 4 of 6
    sources = list_sources((data["a"], data["video"]))
    assert len(sources) == 3 and sources[-1] == data["video"]
    shards = [load_images((data["a"], data["b"]), rank=r, world_size=2, min_side=40) for r in (0, 1)]
    assert [len(s) for s in shards] == [2, 2] and min(shards[0][0].shape[:2]) == 40
    assert not np.array_equal(shards[0][0], shards[1][0])  # ranks read different files
    images = load_images((data["a"],))
    pairs = PairedDomains(images, [255 - img for img in images], crop=32, seed=0)
    for _ in range(4):
        a, b = pairs.sample()
        assert a.shape == (32, 32, 3) and np.array_equal(b, 255 - a)  # the same window and flip


def test_image_pool_returns_inputs_until_full_then_mixes():
    pool = ImagePool(size=3, seed=0)
    first = torch.arange(3.0).view(3, 1, 1, 1)
    assert torch.equal(pool.query(first), first)  # stored and returned as they are
    seen_old = seen_new = 0
    for i in range(40):
        new = torch.full((1, 1, 1, 1), 100.0 + i)
        out = pool.query(new)
        if out.item() == new.item():
            seen_new += 1
        else:
            seen_old += 1  # an earlier fake, swapped out for the new one
            assert out.item() < new.item()
        assert len(pool.images) == 3
    assert seen_old > 5 and seen_new > 5
    assert torch.equal(ImagePool(size=0).query(first), first)


def test_gradient_penalty_is_zero_for_a_unit_lipschitz_critic():
    torch.manual_seed(0)
    real, fake = torch.randn(4, 3, 8, 8), torch.randn(4, 3, 8, 8)
    linear = nn.Linear(3 * 8 * 8, 1, bias=False)
    critic = nn.Sequential(nn.Flatten(), linear)
    with torch.no_grad():
        linear.weight /= linear.weight.norm()  # ||grad|| = 1 everywhere
    assert gradient_penalty(critic, real, fake, weight=10.0).item() < 1e-8
    with torch.no_grad():
        linear.weight *= 3.0  # ||grad|| = 3: penalty 10 * (3 - 1)^2
    assert gradient_penalty(critic, real, fake, weight=10.0).item() == pytest.approx(40.0, rel=1e-4)
    conv_critic = nn.Sequential(nn.Conv2d(3, 4, 3), nn.LeakyReLU(0.2), nn.Conv2d(4, 1, 3))
    assert gradient_penalty(conv_critic, real, fake).item() > 0


def test_multistyle_blends_and_dials_strength():
    from stylelite.models.multistyle import AdaIN
    from stylelite.models.registry import create_teacher

    model = create_teacher("multistyle")
    model.set_style_names(["ink", "wash"])
    assert model.card.styles == ("ink", "wash") and model.n_styles == 2
    with torch.no_grad():
        model.style_codes.normal_()  # distinct codes and code-dependent AdaINs, as after training
        for m in model.modules():
            if isinstance(m, AdaIN):
                m.affine.weight.normal_(0, 0.1)
        x = torch.rand(2, 3, 32, 32) * 2 - 1
        one = torch.ones(2)
        style0 = model.forward_styled(x, torch.tensor([[1.0, 0.0], [1.0, 0.0]]), one)
        style1 = model.forward_styled(x, torch.tensor([[0.0, 1.0], [0.0, 1.0]]), one)
        assert torch.equal(style0, model(x))  # plain forward: style 0 at strength 1
        assert not torch.allclose(style0, style1)
        # Strength 0 renders the identity (content) code, whatever the weights.
        identity = model.forward_code(x, model.style_codes[model.slots].expand(2, -1))
        for w in ([1.0, 0.0], [0.3, 0.7]):
            out = model.forward_styled(x, torch.tensor([w, w]), torch.zeros(2))
            torch.testing.assert_close(out, identity)
        # Blends and strengths interpolate codes (hence every AdaIN's scale and shift).
        code = model.style_code(torch.tensor([[1.0, 3.0]]), torch.tensor([0.5]))
        c = model.style_codes
        torch.testing.assert_close(code[0], 0.5 * c[model.slots] + 0.5 * (0.25 * c[0] + 0.75 * c[1]))


@pytest.mark.parametrize("name", ["unit_a2b", "multistyle"])
def test_new_teachers_are_registered_build_on_meta_and_tap(name):
    from stylelite.models.registry import TEACHERS

    with torch.device("meta"):
        model = TEACHERS.get(name)()
    modules = dict(model.named_modules())
    assert set(model.feature_taps) == {"down", "mid", "deep"} and all(p in modules for p in model.feature_taps.values())
    assert model.card.name == name and model.card.source and model.card.license and model.card.stride == 4


def test_multistyle_exports_its_default_style(tmp_path):
    from stylelite.export.api import export_model

    res = export_model("multistyle", tmp_path / "multistyle.onnx")
    assert res.verification.passed and res.metadata.model == "multistyle"


# ---------------------------------------------------------------- scale out, CLI


def test_torchrun_two_processes_gloo(tmp_path, data):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2"]
    cmd += ["-m", "stylelite", "train-teacher", "--family", "cyclegan", "--generator", "cyclegan_r6"]
    cmd += ["--steps", "2", "--crop", "32", "--threads", "1", "--data-a", data["a"], "--data-b", data["b"]]
    proc = subprocess.run(
        cmd + ["--out", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (run,) = tmp_path.iterdir()  # one run folder: only rank 0 writes
    assert json.loads((run / "launch.json").read_text()) == {"world_size": 2, "backend": "gloo", "device": "cpu"}
    assert (run / "teacher_fp16.safetensors").exists() and (run / "state.safetensors").exists()
    assert proc.stdout.count("run folder:") == 1


def test_cli_trains_a_cyclegan_teacher_as_typed(tmp_path, data):
    proc = run_cli(
        "train-teacher", "--family", "cyclegan", "--steps", "2", "--generator", "cyclegan_r6", "--crop", "32",
        "--data-a", data["a"], "--data-b", data["b"], "--threads", "1", "--out", str(tmp_path),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    (run,) = tmp_path.iterdir()
    assert f"--teacher cyclegan_r6 --teacher-checkpoint {run / 'teacher_fp16.safetensors'}" in proc.stdout
    assert json.loads((run / "config.json").read_text())["pool_size"] == 50


def test_cli_relaunches_through_torch_distributed_run(monkeypatch, data):
    from stylelite.cli import train_teacher as cli
    from stylelite.cli.main import build_parser
    from stylelite.distill import distributed

    argv = ["train-teacher", "--family", "unit", "--data-a", data["a"], "--data-a", data["video"]]
    argv += ["--data-b", data["b"], "--crop", "32", "--no-flip", "--nproc-per-node", "2"]
    launched = {}
    monkeypatch.setattr(distributed, "launch_torchrun", lambda n, a: launched.update(n=n, argv=a) or 0)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    args = build_parser("train-teacher").parse_args(argv)
    assert cli.execute(args) == 0
    assert launched["n"] == 2 and "--nproc-per-node" not in launched["argv"]
    again = vars(build_parser("train-teacher").parse_args(launched["argv"]))
    assert again == {**vars(args), "nproc_per_node": 1}  # each rank gets the same options
    with pytest.raises(ConfigError, match="built-in cartoon teacher trains in one process"):
        cli.execute(build_parser("train-teacher").parse_args(["train-teacher", "--nproc-per-node", "2"]))


def test_config_errors_say_what_to_fix(data):
    with pytest.raises(ConfigError, match="needs unpaired data: --data-a"):
        FamilyTrainConfig(family="cyclegan")
    with pytest.raises(ConfigError, match="trains cyclegan_r9, cyclegan_r6"):
        FamilyTrainConfig(family="cyclegan", generator="unit_a2b", data_a=(data["a"],), data_b=(data["b"],))
    with pytest.raises(ConfigError, match="exactly one --style"):
        FamilyTrainConfig(family="fast_neural_style", **RANDOM_VGG)
    with pytest.raises(ConfigError, match="pix2pix_unet128 needs a multiple of 128"):
        FamilyTrainConfig(family="pix2pix", generator="pix2pix_unet128", crop=96, data_a=("a",), data_b=("b",))


# ---------------------------------------------------------------- every teacher can be distilled


@pytest.mark.parametrize(
    "teacher,crop,seen", [("fast_neural_style", 32, (32, 255.0)), ("pix2pix_unet128", 64, (128, 1.0))]
)
def test_teacher_distils_in_its_own_range_and_stride(tmp_path, data, monkeypatch, teacher, crop, seen):
    from stylelite.distill.data import TeacherCache
    from stylelite.distill.distiller import distill
    from stylelite.models import load as load_module

    inputs, caches = [], []
    real_load, real_cache = load_module.load_model, TeacherCache.__init__

    def spy_load(*a, **kw):  # random weights; records what the teacher is fed
        loaded = real_load(*a, **kw)
        loaded.model.register_forward_pre_hook(lambda _m, inp: inputs.append(inp[0]))
        return loaded

    def spy_cache(self, *a, **kw):
        real_cache(self, *a, **kw)
        caches.append(self)

    monkeypatch.setattr(load_module, "load_model", spy_load)
    monkeypatch.setattr(TeacherCache, "__init__", spy_cache)
    run = distill(
        teacher, "mobilegen_s_025", out=tmp_path, progress=False, data=(data["a"],),
        steps=2, batch=2, crop=crop, cache_size=2, w_temporal=0.0, save_every=2, random_teacher=True,
    )  # fmt: skip
    assert (run / "student.safetensors").exists()
    size, top = seen
    fed = inputs[-1]  # the cache batch
    assert fed.shape[-1] == size  # padded up to the U-Net's stride
    assert fed.max() > 0.5 * top and fed.min() >= (0.0 if top == 255.0 else -1.0)  # the card's input range
    (cache,) = caches
    assert cache.outputs.shape == (2, 3, crop, crop) and cache.outputs.abs().max() <= 1.0


def test_too_small_crop_for_a_unet_names_the_minimum(tmp_path, data):
    from stylelite.distill.distiller import distill

    with pytest.raises(ConfigError, match=r"--crop 32 is too small for pix2pix_unet128 .*use --crop 44 or more"):
        distill("pix2pix_unet128", "mobilegen_s_025", out=tmp_path, progress=False, data=(data["a"],), crop=32,
                random_teacher=True)  # fmt: skip
    assert not any(tmp_path.iterdir())  # failed before making a run folder
