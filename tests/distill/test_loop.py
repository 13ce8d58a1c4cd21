"""The one training loop (stylelite.distill.loop): run folders, the one resume check, the learning-rate
schedule, resumable state, and distillation and teacher training resuming through the same code."""

import json
import math

import pytest
import torch
from torch import nn

from stylelite.distill import loop
from stylelite.distill.distiller import DistillTrainer, distill
from stylelite.distill.loop import LoopSettings, LRSchedule, Trainer, run_training
from stylelite.distill.trainers import FamilyTrainConfig, TeacherTrainConfig, train_teacher_family
from stylelite.distill.trainers.fast_neural_style import FastNeuralStyleTrainer
from stylelite.models.load import weights_metadata
from stylelite.runtime.errors import ConfigError
from stylelite.runtime.files import read_jsonl
from stylelite.runtime.video import write_image
from tests.conftest import make_photo

torch.set_num_threads(1)
REAL_STEPS, REAL_LOAD = loop._steps, loop.load_training_state


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    root = tmp_path_factory.mktemp("loop_data")
    for i in range(2):
        write_image(root / "photos" / f"{i}.png", make_photo(80, 96, seed=i))
    write_image(root / "style.png", make_photo(64, 64, seed=99))
    return root


class ToyTrainer(Trainer):
    """A linear map learning a fixed target: deterministic, so a resumed run must equal an uninterrupted one."""

    def __init__(self, ctx, fail_at: int = 0) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Linear(4, 4)
        self.modules = {"net": self.net}
        self.optimizers = {"opt": torch.optim.Adam(self.net.parameters())}
        self.fail_at, self.calls, self.finished = fail_at, 0, None
        self.x, self.y = torch.randn(8, 4), torch.randn(8, 4)

    def train_step(self):
        self.calls += 1
        if self.calls == self.fail_at:
            raise KeyboardInterrupt
        loss = (self.net(self.x) - self.y).pow(2).mean()
        opt = self.optimizers["opt"]
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss.detach()}

    def evaluate(self):
        return {"score": float(self.net.weight.detach().sum())}

    def finish(self, run, scores):
        self.finished = scores
        torch.save(self.net.state_dict(), run / "toy.pt")


def toy_settings(**kw) -> LoopSettings:
    base = dict(label="toy", desc="toy", steps=6, schedule=LRSchedule("linear", 0.1, 6), save_every=2, log_every=2)
    return LoopSettings(**{**base, **kw})


def test_the_loop_writes_a_run_folder_logs_schedules_and_saves(tmp_path):
    trainers = []

    def build(ctx):
        trainers.append(ToyTrainer(ctx))
        return trainers[-1]

    run = run_training({"toy": 1}, build, toy_settings(), out=tmp_path, progress=False)
    assert run.name == "00001-toy"
    for name in ("config.json", "versions.json", "launch.json", "log.jsonl", "state.safetensors", "toy.pt"):
        assert (run / name).exists(), name
    assert json.loads((run / "config.json").read_text()) == {"toy": 1}
    log = read_jsonl(run / "log.jsonl")
    assert [r["step"] for r in log] == [0, 2, 4, 6, 6]  # evaluated, every log_every steps, evaluated
    # the rate of each logged step (0-based 1, 3, 5): constant for half the run, then linearly to 0
    assert [r["lr"] for r in log if "lr" in r] == [0.1, 0.1, pytest.approx(0.1 / 3, abs=1e-6)]
    assert trainers[0].finished["score"] == pytest.approx(log[-1]["score"], abs=1e-6)


def test_an_interrupted_run_resumes_to_the_same_weights(tmp_path):
    whole = run_training({}, ToyTrainer, toy_settings(), out=tmp_path / "whole", progress=False)
    with pytest.raises(KeyboardInterrupt):  # Ctrl-C during step 4: the state of step 2 is on disk
        run_training({}, lambda ctx: ToyTrainer(ctx, fail_at=4), toy_settings(), out=tmp_path / "cut", progress=False)
    (cut,) = (tmp_path / "cut").iterdir()
    assert not (cut / "toy.pt").exists()
    assert run_training({}, ToyTrainer, toy_settings(), resume=cut, progress=False) == cut
    a, b = torch.load(whole / "toy.pt"), torch.load(cut / "toy.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert [r["step"] for r in read_jsonl(cut / "log.jsonl")] == [0, 2, 4, 6, 6]  # no second step-0 row


def test_lr_schedules_are_functions_of_the_step():
    linear = LRSchedule("linear", 1.0, 10, decay_from=0.5)
    assert [linear.at(s) for s in (0, 4, 5, 6, 9, 10)] == [1.0, 1.0, 1.0, 0.8, pytest.approx(0.2), 0.0]
    assert [LRSchedule("step", 1.0, 10, every=3, gamma=0.5).at(s) for s in (0, 2, 3, 6)] == [1.0, 1.0, 0.5, 0.25]
    cosine = LRSchedule("cosine", 2e-3, 100)
    assert cosine.at(0) == pytest.approx(2e-3) and cosine.at(100) == pytest.approx(2e-3 * 0.02)
    assert cosine.at(50) == pytest.approx(2e-3 * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi / 2))))
    assert LRSchedule("constant", 0.3, 10).at(7) == 0.3
    with pytest.raises(ConfigError, match="lr_policy 'cyclic': choose one of constant, linear, step, cosine"):
        LRSchedule("cyclic", 1.0, 10)


def test_a_folder_that_is_not_a_run_folder_is_a_one_line_error(tmp_path):
    (tmp_path / "empty").mkdir()
    for call in (
        lambda: distill(resume=tmp_path / "empty", progress=False),
        lambda: train_teacher_family(resume=tmp_path / "empty", progress=False),
        lambda: train_teacher_family(resume=tmp_path / "missing", progress=False),
    ):
        with pytest.raises(ConfigError, match=r"is not a run folder \(no config.json\): pass a folder that") as e:
            call()
        assert "\n" not in str(e.value)


def test_a_run_folder_of_the_other_verb_names_the_verb_to_resume_it_with(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "config.json").write_text(json.dumps({"teacher": "cyclegan_r6", "student": "mobilegen_s_025"}))
    with pytest.raises(ConfigError, match=r"is a `stylelite distill` run folder: resume it with stylelite distill"):
        train_teacher_family(resume=tmp_path / "d", progress=False)
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "config.json").write_text(json.dumps({"family": "cyclegan"}))
    with pytest.raises(ConfigError, match=r"is a `stylelite train-teacher` run folder"):
        distill(resume=tmp_path / "t", progress=False)


def test_distillation_and_a_teacher_family_resume_through_the_same_loop(tmp_path, photos, monkeypatch):
    entered, restored = [], []
    monkeypatch.setattr(loop, "_steps", lambda *a: entered.append((type(a[0]).__name__, a[4])) or REAL_STEPS(*a))
    monkeypatch.setattr(loop, "load_training_state", lambda *a: restored.append(sorted(a[1])) or REAL_LOAD(*a))
    for cls in (DistillTrainer, FastNeuralStyleTrainer):
        calls = []

        def step(self, real=cls.train_step, calls=calls):
            calls.append(1)
            if len(calls) == 3:
                raise KeyboardInterrupt  # Ctrl-C during the third step; steps 1 and 2 were saved
            return real(self)

        monkeypatch.setattr(cls, "train_step", step)
    with pytest.raises(KeyboardInterrupt):
        distill(
            "cyclegan_r6", "mobilegen_s_025", out=tmp_path / "d", progress=False, data=(str(photos / "photos"),),
            steps=4, batch=2, crop=32, cache_size=2, w_temporal=0.0, save_every=1, random_teacher=True,
        )  # fmt: skip
    family = FamilyTrainConfig(
        family="fast_neural_style", data_a=(str(photos / "photos"),), styles=(str(photos / "style.png"),),
        vgg_random_width=0.125, steps=4, batch=1, crop=32, threads=1, log_every=1, save_every=1,
    )  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        train_teacher_family(family, out=tmp_path / "t", progress=False)
    (distilled,), (teacher,) = (tmp_path / "d").iterdir(), (tmp_path / "t").iterdir()
    distill(resume=distilled, progress=False)
    train_teacher_family(resume=teacher, progress=False)
    assert entered == [
        ("DistillTrainer", 0),
        ("FastNeuralStyleTrainer", 0),
        ("DistillTrainer", 2),  # both continue after their last saved step, in the same loop
        ("FastNeuralStyleTrainer", 2),
    ]
    assert restored == [["adapters", "student"], ["net"]]
    assert (distilled / "student.safetensors").exists() and (teacher / "teacher_fp16.safetensors").exists()
    assert [r["step"] for r in read_jsonl(teacher / "log.jsonl")] == [1, 2, 3, 4]


def test_the_built_in_teacher_is_a_preset_of_the_pix2pix_trainer():
    family = TeacherTrainConfig().family_config()
    assert (family.family, family.generator, family.data_a, family.target_filter) == (
        "pix2pix",
        "cyclegan_r9_bn",
        ("world",),
        "cartoon",
    )
    assert (family.steps, family.batch, family.crop, family.lambda_l1, family.lr) == (2400, 4, 96, 100.0, 2e-4)
    assert (family.gan_loss, family.lambda_gan, family.beta1, family.lr_policy, family.decay_from) == (
        "lsgan",
        1.0,
        0.5,
        "linear",
        0.5,
    )
    assert family.weight_init == "torch" and family.augment and family.flip and family.load_size == 0


def test_pix2pix_learns_a_filter_on_your_photos(tmp_path, photos):
    config = FamilyTrainConfig(
        family="pix2pix", generator="cyclegan_r9_bn", data_a=(str(photos / "photos"),), target_filter="cartoon",
        steps=2, batch=1, crop=32, threads=1, log_every=1,
    )  # fmt: skip
    run = train_teacher_family(config, out=tmp_path, progress=False)
    psnr = [r["step"] for r in read_jsonl(run / "log.jsonl") if "heldout_psnr_db" in r]
    assert psnr == [0, 2]
    meta = weights_metadata(run / "teacher_fp16.safetensors")
    assert meta["style"] == "cartoon" and meta["family"] == "pix2pix" and float(meta["heldout_psnr_db"]) > 0
    assert meta["train_photos"] == str(photos / "photos") and "untrained_heldout_psnr_db" in meta


def test_a_built_in_teacher_run_folder_of_the_old_layout_resumes(tmp_path):
    run = tmp_path / "00001-cyclegan_r9_bn-cartoon"
    run.mkdir()
    old = dict(teacher="cyclegan_r9_bn", steps=2, batch=1, crop=32, lr=2e-4, lambda_l1=100.0, decay_from=0.5)
    old.update(seed=0, threads=1, save_every=100, augment=True)  # no `device`: written before it existed
    (run / "config.json").write_text(json.dumps(old))
    assert train_teacher_family(resume=run, progress=False) == run
    meta = weights_metadata(run / "teacher_fp16.safetensors")
    assert float(meta["heldout_psnr_db"]) > 0
    assert "astronaut" in meta["train_photos"]  # no `data` recorded: the six photos it was started on, not world


def test_filter_target_options_say_what_to_fix(photos):
    with pytest.raises(ConfigError, match="computes the targets from --data-a: drop --data-b"):
        FamilyTrainConfig(family="pix2pix", target_filter="cartoon", data_a=("builtin",), data_b=("builtin",))
    with pytest.raises(ConfigError, match="--target-filter is for the pix2pix family, not cyclegan"):
        FamilyTrainConfig(family="cyclegan", target_filter="cartoon", data_a=("a",), data_b=("b",))
    with pytest.raises(ConfigError, match="drop --load-size"):
        FamilyTrainConfig(family="pix2pix", target_filter="cartoon", load_size=300)
    with pytest.raises(ConfigError, match="apply to --target-filter data only"):
        FamilyTrainConfig(family="pix2pix", data_a=("a",), data_b=("b",), augment=False)
    assert FamilyTrainConfig(family="pix2pix", target_filter="cartoon").data_a == ("builtin",)


def test_cli_rejects_options_the_built_in_teacher_does_not_take():
    from stylelite.cli import train_teacher as cli
    from stylelite.cli.main import build_parser

    args = build_parser("train-teacher").parse_args(["train-teacher", "--load-size", "300"])
    with pytest.raises(ConfigError, match="--load-size: not used by the built-in cartoon teacher"):
        cli.execute(args)
