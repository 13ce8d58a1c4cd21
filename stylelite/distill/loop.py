"""The one training loop: distillation and every teacher trainer run through `run_training`.

The loop owns what every run shares: the numbered run folder (or the folder a resume continues),
its resolved config and dependency versions, JSONL + TensorBoard scalars, the learning-rate
schedule, the resumable state saved every `save_every` steps, one process or the ranks of a
torchrun job (`DistributedContext`), and the final weights call. A `Trainer` supplies the part that
differs: its modules and optimizers, the data it opens, one training step, an optional evaluation
and the weights it writes.

Order of a run: seed -> build the trainer (config errors come before any folder exists) -> create
or reopen the run folder -> restore the state -> `prepare(start)` -> `evaluate()` at step 0 of a
fresh run -> steps -> `evaluate()` -> `finish(run, scores)`.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from stylelite.distill.distributed import DistributedContext, under_torchrun
from stylelite.distill.run_dir import ScalarLog, new_run_dir, save_resolved_config
from stylelite.distill.training_state import load_training_state, save_training_state
from stylelite.runtime.errors import ConfigError
from stylelite.runtime.files import write_json_atomic

STATE_FILE = "state.safetensors"
LR_POLICIES = ("constant", "linear", "step", "cosine")


@dataclass(frozen=True)
class LRSchedule:
    """The learning rate as a function of the step, so a resumed run continues it exactly.

    Attributes:
        policy: `constant`; `linear` (constant, then linearly to 0 over the last `1 - decay_from` of
            the run: CycleGAN, pix2pix); `step` (times `gamma` every `every` steps: UNIT); `cosine`
            (from `lr` down to `floor * lr`: distillation).
        lr: the base learning rate.
        steps: the length of the run.
        decay_from: `linear`: the fraction of the run before the decay starts.
        every: `step`: steps between two multiplications by `gamma`.
        gamma: `step`: the factor.
        floor: `cosine`: the final learning rate as a fraction of `lr`.
    """

    policy: str
    lr: float
    steps: int
    decay_from: float = 0.5
    every: int = 100_000
    gamma: float = 0.5
    floor: float = 0.02

    def __post_init__(self) -> None:
        if self.policy not in LR_POLICIES:
            raise ConfigError(f"lr_policy {self.policy!r}: choose one of {', '.join(LR_POLICIES)}")

    def at(self, step: int) -> float:
        """The learning rate of (0-based) `step`."""
        if self.policy == "linear":
            start = int(self.steps * self.decay_from)
            if step < start:
                return self.lr
            return self.lr * max(0.0, 1.0 - (step - start) / max(1, self.steps - start))
        if self.policy == "step":
            return self.lr * self.gamma ** (step // self.every)
        if self.policy == "cosine":
            return self.lr * (self.floor + (1 - self.floor) * 0.5 * (1 + math.cos(math.pi * step / self.steps)))
        return self.lr


@dataclass(frozen=True)
class LoopSettings:
    """What the loop needs to know about a run, whatever trains in it.

    Attributes:
        label: the run folder's name after its number (`runs/00012-<label>`).
        desc: the progress bar's label; also names the run in errors.
        steps: the total number of steps.
        schedule: the learning rate of every optimizer's param groups, per step.
        save_every: steps between two resumable states (the last step always saves).
        log_every: steps between two logged rows of scalars (the last step always logs).
        seed: seeds torch before the trainer is built (the same initial weights on every rank).
        threads: torch CPU threads (0: torch's default).
        device: `auto`, `cpu` or `cuda` (`DistributedContext.from_env`).
        distributed: whether the trainer may run as several torchrun processes.
    """

    label: str
    desc: str
    steps: int
    schedule: LRSchedule
    save_every: int
    log_every: int = 10
    seed: int = 0
    threads: int = 0
    device: str = "cpu"
    distributed: bool = True

    @classmethod
    def of(cls, config, label: str, desc: str, schedule: LRSchedule, **more) -> LoopSettings:
        """The settings of a run `config` (its steps, save_every, seed, threads and device) and the rest."""
        run = {k: getattr(config, k) for k in ("steps", "save_every", "seed", "threads", "device")}
        return cls(label=label, desc=desc, schedule=schedule, **run, **more)


class Trainer:
    """The per-run part a trainer supplies to `run_training`.

    Attributes:
        modules: what the resumable state holds (unwrapped modules, on the device), by name.
        optimizers: their optimizers, by name; the loop sets every group's learning rate.
        progress_keys: scalars shown on the progress bar (default: the first three).
    """

    progress_keys: tuple[str, ...] = ()

    def __init__(self) -> None:
        self.modules: dict[str, nn.Module] = {}
        self.optimizers: dict[str, torch.optim.Optimizer] = {}

    def prepare(self, start: int) -> None:
        """Open the data, wrap for DDP; runs after a resume restored the state (`start` > 0)."""

    def train_step(self) -> dict[str, float | torch.Tensor]:
        """One iteration (forward, losses, updates); returns the scalars to log."""
        raise NotImplementedError

    def evaluate(self) -> dict[str, float]:
        """Scores logged at step 0 of a fresh run and after the last step (rank 0 only)."""
        return {}

    def finish(self, run: Path, scores: dict[str, float]) -> None:
        """Write the final weights into `run` (rank 0 only); `scores` is the last `evaluate()`."""
        raise NotImplementedError


def run_training(
    config: Any,
    build: Callable[[DistributedContext], Trainer],
    settings: LoopSettings,
    out: str | Path = "runs",
    resume: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Run (or resume) a training; return the run folder.

    Args:
        config: the run's frozen dataclass, written as config.json (a resume passes the one it read).
        build: makes the trainer for the process context.
        settings: the run's steps, schedule, intervals, seed and device.
        out: parent folder of a new run folder.
        resume: a run folder to continue (already checked by `run_dir.read_run_config`).
        progress: show a progress bar (rank 0).

    Under torchrun only rank 0 writes; every rank returns the same folder.
    """
    if not settings.distributed and under_torchrun() and int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ConfigError(f"{settings.desc} runs in one process: start it without torchrun or --nproc-per-node")
    ctx = DistributedContext.from_env(settings.device)
    try:
        if settings.threads:
            torch.set_num_threads(settings.threads)
        torch.manual_seed(settings.seed)
        trainer = build(ctx)
        run = Path(resume) if resume else _new_run(ctx, out, settings.label, config)
        try:  # a fresh run that fails before its first step leaves no run folder behind
            if ctx.is_main:
                launch = {"world_size": ctx.world_size, "backend": ctx.backend or "none", "device": str(ctx.device)}
                write_json_atomic(run / "launch.json", launch)
            start = 0
            if resume and (run / STATE_FILE).exists():
                start = load_training_state(run / STATE_FILE, trainer.modules, trainer.optimizers)["step"]
            trainer.prepare(start)
            log = ScalarLog(run, resumed_from=start if resume else None) if ctx.is_main else None
        except BaseException:
            if not resume and ctx.is_main:
                _remove_new_run(run)
            raise
        done = start
        try:  # a fresh run that fails in its first step (a teacher's labels of the wrong shape) leaves none either
            if log is not None and start == 0 and (scores := trainer.evaluate()):
                log.log(0, **scores)
            for n in _steps(trainer, settings, ctx, run, start, log, progress):
                done = n
        except BaseException:
            if not resume and ctx.is_main and done == 0:
                log.close()
                _remove_new_run(run)
            raise
        if log is not None:
            scores = trainer.evaluate()
            if scores:
                log.log(settings.steps, **scores)
            log.close()
            trainer.finish(run, scores)
        ctx.barrier()
        return run
    finally:
        ctx.close()


def _new_run(ctx: DistributedContext, out: str | Path, label: str, config: Any) -> Path:
    """A new numbered run folder made by rank 0, with config.json and versions.json; its path on every rank."""
    run = new_run_dir(out, label) if ctx.is_main else None
    if run is not None:
        save_resolved_config(run, config)
    return Path(ctx.broadcast(str(run) if run is not None else None))


def _remove_new_run(run: Path) -> None:
    """Delete a run folder this process has just made (only the files the loop writes before step 1)."""
    import shutil

    made = {"config.json", "versions.json", "inputs.json", "launch.json", "tb", "log.jsonl"}
    if run.is_dir() and {p.name for p in run.iterdir()} <= made:
        shutil.rmtree(run, ignore_errors=True)


def _kept_state(run: Path) -> str:
    """Where the last saved state is, for a message."""
    if not (run / STATE_FILE).exists():
        return "no state was saved"
    import json

    from safetensors import safe_open

    with safe_open(str(run / STATE_FILE), "pt") as f:
        saved = json.loads(f.metadata()["meta"])["step"]
    return f"the state of step {saved} is kept in {run / STATE_FILE}"


def _check_finite_weights(trainer: Trainer, step: int, run: Path, settings: LoopSettings) -> None:
    """ConfigError (one line) when an update left NaN/Inf in a module's weights (checked before each save)."""
    for name, module in trainer.modules.items():
        for key, value in module.state_dict().items():
            if value.is_floating_point() and not bool(torch.isfinite(value).all()):
                raise ConfigError(
                    f"{settings.desc}: non-finite weights ({name}/{key}) after step {step}: the training diverged; "
                    f"{_kept_state(run)}; start a new run with a lower --lr (e.g. a tenth)"
                )


def _check_finite(scalars: dict, step: int, run: Path, settings: LoopSettings) -> None:
    """Stop the run with one line when a scalar the step returned is NaN or infinite; the last saved
    state (not the diverged weights) stays in the run folder."""
    bad = {k: float(v) for k, v in scalars.items() if not math.isfinite(float(v))}
    if not bad:
        return
    kept = _kept_state(run)
    name, value = next(iter(bad.items()))
    what = "loss" if name.startswith("loss") or len(bad) > 1 else f"{name} loss"
    raise ConfigError(
        f"{settings.desc}: non-finite {what} ({value}) at step {step}: the training diverged; {kept}; "
        "start a new run with a lower --lr (e.g. a tenth)"
    )


def _steps(
    trainer: Trainer,
    settings: LoopSettings,
    ctx: DistributedContext,
    run: Path,
    start: int,
    log: ScalarLog | None,
    progress: bool,
) -> Iterator[int]:
    """Steps `start` .. `settings.steps - 1`: learning rate, step, logging, resumable state; yields the
    number of steps done as soon as each step's update ran."""
    from tqdm import tqdm

    bar = tqdm(
        range(start, settings.steps),
        initial=start,
        total=settings.steps,
        disable=not (progress and ctx.is_main),
        desc=settings.desc,
        unit="step",
    )
    t0 = time.time()
    for step in bar:
        lr = settings.schedule.at(step)
        for opt in trainer.optimizers.values():
            for group in opt.param_groups:  # a group may learn at a fixed fraction of the schedule (a discriminator)
                group["lr"] = lr * group.get("lr_scale", 1.0)
        scalars = trainer.train_step()
        done = step + 1
        yield done  # the step ran: what follows (its log row, its checks) belongs to a run worth keeping
        if not all(math.isfinite(float(v)) for v in scalars.values()):  # logged (as null), then stopped
            if log is not None:
                log.log(done, **{k: float(v) for k, v in scalars.items()}, lr=lr)
            _check_finite(scalars, done, run, settings)
        last = done == settings.steps
        if done % settings.log_every == 0 or last:
            values = ctx.mean({k: float(v) for k, v in scalars.items()})
            if log is not None:
                log.log(done, **values, lr=lr, sec_per_step=(time.time() - t0) / (done - start))
                keys = trainer.progress_keys or tuple(values)[:3]
                bar.set_postfix({k: f"{values[k]:.3g}" for k in keys if k in values})
        if (done % settings.save_every == 0 or last) and ctx.is_main:
            _check_finite_weights(trainer, done, run, settings)  # a diverged update never overwrites a good state
            save_training_state(run / STATE_FILE, trainer.modules, trainer.optimizers, {"step": done})
