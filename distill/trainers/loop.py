"""The training loop every family shares: run folder, resume, learning-rate policy, logging,
checkpoints and the final teacher weights. A family supplies a `FamilyTrainer`."""

from __future__ import annotations

import importlib
import time
from pathlib import Path

import torch
from torch import nn

from stylelite.distill.run_dir import ScalarLog, load_config_json, new_run_dir, save_resolved_config
from stylelite.distill.trainers.config import FamilyTrainConfig
from stylelite.distill.trainers.distributed import DistributedContext
from stylelite.distill.training_state import load_training_state, save_training_state, save_weights
from stylelite.runtime.errors import ConfigError
from stylelite.runtime.files import write_json_atomic

# family -> "module:class" (imported when used)
TRAINERS = {
    "pix2pix": "stylelite.distill.trainers.pix2pix:Pix2PixTrainer",
    "cyclegan": "stylelite.distill.trainers.cyclegan:CycleGANTrainer",
    "unit": "stylelite.distill.trainers.unit:UNITTrainer",
    "multistyle": "stylelite.distill.trainers.multistyle:MultiStyleTrainer",
    "fast_neural_style": "stylelite.distill.trainers.fast_neural_style:FastNeuralStyleTrainer",
}
TEACHER_FILE = "teacher_fp16.safetensors"


class FamilyTrainer:
    """What a family provides to the loop.

    `modules` and `optimizers` (unwrapped, on the device) are what the resumable state holds;
    `prepare` runs after a resume restored them (wrap in DDP, open the data, seeded by `start`);
    `train_step` runs one iteration and returns scalars to log; `save_teacher` writes the weights.
    """

    def __init__(self, config: FamilyTrainConfig, ctx: DistributedContext) -> None:
        self.config, self.ctx, self.device = config, ctx, ctx.device
        self.modules: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}

    def adam(self, *modules: nn.Module) -> torch.optim.Adam:
        c = self.config
        params = [p for m in modules for p in m.parameters()]
        return torch.optim.Adam(params, lr=c.lr, betas=(c.beta1, c.beta2), weight_decay=c.weight_decay)

    def optimize(self, name: str, loss) -> None:
        """One update of optimizer `name` on `loss` (zero the gradients, backward, step)."""
        opt = self.optimizers[name]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def data_seed(self, start: int) -> int:
        """Differs per rank (ranks see different crops) and moves on after a resume."""
        return self.config.seed + 1000 * self.ctx.rank + start

    def load_kwargs(self) -> dict:
        c = self.config
        return dict(
            rank=self.ctx.rank,
            world_size=self.ctx.world_size,
            frame_every=c.frame_every,
            max_frames=c.max_frames,
            min_side=c.load_size,
        )

    def prepare(self, start: int) -> None:
        raise NotImplementedError

    def train_step(self) -> dict[str, float]:
        raise NotImplementedError

    def save_teacher(self, run: Path, meta: dict) -> None:
        raise NotImplementedError

    def write_weights(self, path: Path, model: nn.Module, meta: dict) -> None:
        save_weights(path, model, dtype=torch.float16, metadata={"teacher": model.card.name, **meta})


def lr_at(config: FamilyTrainConfig, step: int) -> float:
    """The learning rate of `step` (a function of the step, so a resume continues exactly)."""
    if config.lr_policy == "linear":  # CycleGAN / pix2pix: constant, then linearly to 0
        decay_start = int(config.steps * config.decay_from)
        if step < decay_start:
            return config.lr
        return config.lr * max(0.0, 1.0 - (step - decay_start) / max(1, config.steps - decay_start))
    if config.lr_policy == "step":  # UNIT: x gamma every lr_step steps
        return config.lr * config.lr_gamma ** (step // config.lr_step)
    return config.lr


def build_trainer(config: FamilyTrainConfig, ctx: DistributedContext) -> FamilyTrainer:
    module, cls = TRAINERS[config.family].split(":")
    return getattr(importlib.import_module(module), cls)(config, ctx)


def train_teacher_family(
    config: FamilyTrainConfig | None = None,
    out: str | Path = "runs",
    resume: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Train (or resume) a teacher of `config.family`; return the run folder.

    Runs as one process, or as one rank of a torchrun job (then only rank 0 writes). The run folder
    holds config.json, versions.json, launch.json, log.jsonl, tb/, state.safetensors (resumable) and
    teacher_fp16.safetensors (the registered generator, metadata `teacher=<name>`).
    """
    from tqdm import tqdm

    if resume:
        run = Path(resume)
        if not (run / "config.json").is_file():
            raise ConfigError(f"{run} is not a train-teacher run folder (no config.json)")
        config = FamilyTrainConfig(**load_config_json(run))
    else:
        config = config or FamilyTrainConfig()
    ctx = DistributedContext.from_env(config.device)
    try:
        if not resume:
            label = f"{config.family}-{config.generator}"
            run = Path(ctx.broadcast(str(new_run_dir(out, label)) if ctx.is_main else None))
            if ctx.is_main:
                save_resolved_config(run, config)
        if ctx.is_main:
            write_json_atomic(
                run / "launch.json",
                {"world_size": ctx.world_size, "backend": ctx.backend or "none", "device": str(ctx.device)},
            )
        if config.threads:
            torch.set_num_threads(config.threads)
        torch.manual_seed(config.seed)  # the same initial weights on every rank
        trainer = build_trainer(config, ctx)
        state_path = run / "state.safetensors"
        start = 0
        if resume and state_path.exists():
            start = load_training_state(state_path, trainer.modules, trainer.optimizers)["step"]
        torch.manual_seed(trainer.data_seed(start))  # noise and sampling differ per rank
        trainer.prepare(start)
        log = ScalarLog(run) if ctx.is_main else None
        bar = tqdm(
            range(start, config.steps),
            initial=start,
            total=config.steps,
            disable=not (progress and ctx.is_main),
            desc=f"train-teacher {config.family}",
            unit="step",
        )
        t0 = time.time()
        for step in bar:
            lr = lr_at(config, step)
            for opt in trainer.optimizers.values():
                for group in opt.param_groups:
                    group["lr"] = lr
            scalars = trainer.train_step()
            done = step + 1
            if done % config.log_every == 0 or done == config.steps:
                scalars = ctx.mean(scalars)
                if log is not None:
                    log.log(done, **scalars, lr=lr, sec_per_step=(time.time() - t0) / (done - start))
                    bar.set_postfix({k: f"{v:.3g}" for k, v in list(scalars.items())[:3]})
            if (done % config.save_every == 0 or done == config.steps) and ctx.is_main:
                save_training_state(state_path, trainer.modules, trainer.optimizers, {"step": done})
        if log is not None:
            log.close()
        if ctx.is_main:
            trainer.save_teacher(run, {"family": config.family, "steps": config.steps})
        ctx.barrier()
        return run
    finally:
        ctx.close()
