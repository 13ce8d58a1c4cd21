"""`train_teacher_family`: every teacher family trains through the shared loop (stylelite.distill.loop).

A family supplies a `FamilyTrainer` (its networks, optimizers, data and one step); the loop does the
rest. The built-in cartoon teacher is the pix2pix family with the cartoon target filter
(`TeacherTrainConfig`, a preset of `FamilyTrainConfig`).
"""

from __future__ import annotations

import functools
import importlib
from pathlib import Path

import torch
from torch import nn

from stylelite.distill.distributed import DistributedContext
from stylelite.distill.loop import LoopSettings, LRSchedule, Trainer, run_training
from stylelite.distill.run_dir import apply_resume_options, read_run_config
from stylelite.distill.trainers.config import FamilyTrainConfig, TeacherTrainConfig
from stylelite.distill.trainers.gan import init_weights
from stylelite.distill.training_state import save_weights

# family -> "module:class" (imported when used)
TRAINERS = {
    "pix2pix": "stylelite.distill.trainers.pix2pix:Pix2PixTrainer",
    "cyclegan": "stylelite.distill.trainers.cyclegan:CycleGANTrainer",
    "unit": "stylelite.distill.trainers.unit:UNITTrainer",
    "multistyle": "stylelite.distill.trainers.multistyle:MultiStyleTrainer",
    "fast_neural_style": "stylelite.distill.trainers.fast_neural_style:FastNeuralStyleTrainer",
}
TEACHER_FILE = "teacher_fp16.safetensors"
BUILTIN_V1_DATA = ("builtin",)  # what the built-in teacher trained on until it moved to `world`


class FamilyTrainer(Trainer):
    """A teacher family's part of the loop.

    Subclasses build `modules` and `optimizers` (unwrapped, on the device) in `__init__`, open their
    data and wrap for DDP in `open_data`, and implement `train_step` and `finish`.
    """

    def __init__(self, config: FamilyTrainConfig, ctx: DistributedContext) -> None:
        super().__init__()
        self.config, self.ctx, self.device = config, ctx, ctx.device

    def init(self, module: nn.Module) -> nn.Module:
        """`module` initialised as `config.weight_init` says (`normal`: N(0, 0.02); `torch`: as built)."""
        return init_weights(module) if self.config.weight_init == "normal" else module

    def adam(self, *modules: nn.Module) -> torch.optim.Adam:
        """Adam over the modules' parameters with the config's betas and weight decay."""
        c = self.config
        params = [p for m in modules for p in m.parameters()]
        return torch.optim.Adam(params, lr=c.lr, betas=(c.beta1, c.beta2), weight_decay=c.weight_decay)

    def optimize(self, name: str, loss: torch.Tensor) -> None:
        """One update of optimizer `name` on `loss` (zero the gradients, backward, step)."""
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def data_seed(self, start: int) -> int:
        """Differs per rank (ranks see different crops) and moves on after a resume."""
        return self.config.seed + 1000 * self.ctx.rank + start

    def load_kwargs(self) -> dict:
        """`load_images` keywords: this rank's shard, video sampling and the load size."""
        c = self.config
        return dict(
            rank=self.ctx.rank,
            world_size=self.ctx.world_size,
            frame_every=c.frame_every,
            max_frames=c.max_frames,
            min_side=c.load_size,
        )

    def prepare(self, start: int) -> None:
        """Reseed torch per rank and `start` (noise and sampling differ per rank), then open the data."""
        torch.manual_seed(self.data_seed(start))
        self.open_data(start)

    def open_data(self, start: int) -> None:
        """Open the training data (seeded with `data_seed(start)`) and wrap the networks for DDP."""
        raise NotImplementedError

    def write_weights(self, path: Path, model: nn.Module, meta: dict) -> None:
        """fp16 weights whose metadata names the registered architecture (`teacher=<name>`)."""
        save_weights(path, model, dtype=torch.float16, metadata={"teacher": model.card.name, **meta})

    def weights_meta(self) -> dict:
        """Metadata every family writes into its weights."""
        return {"family": self.config.family, "steps": self.config.steps}


def build_trainer(config: FamilyTrainConfig, ctx: DistributedContext) -> FamilyTrainer:
    """The family's trainer (its module is imported here)."""
    module, cls = TRAINERS[config.family].split(":")
    return getattr(importlib.import_module(module), cls)(config, ctx)


def loop_settings(config: FamilyTrainConfig, label: str, desc: str, distributed: bool = True) -> LoopSettings:
    """The shared loop's settings of a teacher run."""
    schedule = LRSchedule(config.lr_policy, config.lr, config.steps, config.decay_from, config.lr_step, config.lr_gamma)
    return LoopSettings.of(config, label, desc, schedule, log_every=config.log_every, distributed=distributed)


def train_teacher_family(
    config: FamilyTrainConfig | TeacherTrainConfig | None = None,
    out: str | Path = "runs",
    resume: str | Path | None = None,
    progress: bool = True,
    options: dict | None = None,
) -> Path:
    """Train (or resume) a teacher; return the run folder.

    Args:
        config: a family's config, or `TeacherTrainConfig` for the built-in cartoon teacher (the
            pix2pix family on the bundled photos, targets from the cartoon filter). None: the default
            family config, or with `resume` the run folder's own.
        out: parent folder of the new run folder.
        resume: a train-teacher run folder (of any family, or of the built-in teacher) to continue.
        progress: show a progress bar.
        options: with `resume`, the config fields given again (the CLI's options): a larger `steps` extends
            the run, `save_every`/`threads`/`device` may change, any other changed value is a ConfigError.

    Runs as one process or as one rank of a torchrun job (then only rank 0 writes). The run folder
    holds config.json, versions.json, launch.json, log.jsonl, tb/, state.safetensors (resumable) and
    teacher_fp16.safetensors (the registered generator, metadata `teacher=<name>`).
    """
    if resume:
        raw = read_run_config(resume, "train-teacher")
        if "family" in raw:
            config = FamilyTrainConfig(**raw)
        else:  # the built-in teacher's preset; a run from before `data` was recorded trained on the six photos
            config = TeacherTrainConfig(**{"data": BUILTIN_V1_DATA, **raw})
        config = apply_resume_options(resume, config, options or {})
    config = config or FamilyTrainConfig()
    if isinstance(config, TeacherTrainConfig):
        family = config.family_config()
        settings = loop_settings(family, f"{config.teacher}-cartoon", "train-teacher", distributed=False)
    else:
        family = config
        settings = loop_settings(family, f"{family.family}-{family.generator}", f"train-teacher {family.family}")
    return run_training(config, functools.partial(build_trainer, family), settings, out, resume, progress)
