"""`stylelite distill`: teacher -> MobileGen student with pixel, feature and temporal losses.

`DistillTrainer` is the distillation step for the shared loop (stylelite.distill.loop): the teacher
labels a cache of crops once, and each step trains the student on a cache batch (pixel and feature
losses) and on frame pairs with known flow (temporal losses). The run folder holds config.json,
versions.json, launch.json, log.jsonl, tb/, state.safetensors (resumable) and student.safetensors.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import sys
from pathlib import Path

import numpy as np
import torch

from stylelite.distill.conditions import check_styled_pair, refuse_for_styles, teacher_styles
from stylelite.distill.criteria import StepBatch, recorded_weights, setup_criteria, weighted_loss
from stylelite.distill.data import MotionPairs, TeacherCache, load_sources, random_crop, teacher_padding
from stylelite.distill.distill_config import DistillConfig
from stylelite.distill.distributed import DistributedContext
from stylelite.distill.holdout import holdout_fidelity
from stylelite.distill.loop import LoopSettings, LRSchedule, Trainer, run_training
from stylelite.distill.losses import (
    FeatureAdapters,
    discriminator_loss,
    long_term_temporal_loss,
    random_affine_flow,
    recurrent_losses,
    temporal_loss,
)
from stylelite.distill.recipe import graph_teacher, with_recipe
from stylelite.distill.run_data import calibration_batches, open_label_store
from stylelite.distill.run_dir import apply_resume_options, read_run_config
from stylelite.distill.training_state import save_weights
from stylelite.models.graph_teacher import GraphTeacher, probe_graph_teacher
from stylelite.models.mobilegen_styled import tile
from stylelite.models.registry import create_student
from stylelite.models.shufflegen_narrow import start_student

__all__ = ["DistillConfig", "DistillTrainer", "distill", "holdout_fidelity"]


class DistillTrainer(Trainer):
    """The distillation step: a student learns a teacher's outputs, features and temporal behaviour."""

    progress_keys = ("pixel", "temporal")

    def __init__(self, config: DistillConfig, ctx: DistributedContext, progress: bool = True) -> None:
        from stylelite.models.load import load_model

        super().__init__()
        self.config, self.progress, self.ctx = config, progress, ctx
        device = self.device = ctx.device
        student = None
        if config.init_from:  # a bad --init-from fails before the teacher loads (its weights replace the random init)
            with torch.random.fork_rng(devices=[]):  # the teacher draws what it drew without it
                student, note = start_student(config.student, config.init_from)
            if note and progress and ctx.is_main:
                print(note, file=sys.stderr)
        self.teacher = load_model(
            config.teacher, config.teacher_checkpoint, config.key_map, config.teacher_card, device=str(device),
            trust_graph_code=config.trust_graph_code,
        ).model.to(device)  # fmt: skip
        teacher_padding(config.crop, self.teacher.card.stride, self.teacher.card.name)  # a too-small crop fails here
        self.float_model = (student or create_student(config.student)).train().to(device)
        # a style-conditioned teacher and student: the student takes the teacher's controls; a one-style student
        # learns the teacher's first style at full strength (what its forward renders)
        teacher_has = teacher_styles(self.teacher)
        check_styled_pair(self.teacher.card.name, teacher_has, self.float_model)
        self.styles = teacher_has if self.float_model.card.styles else ()  # a style-conditioned student
        if teacher_has and not self.styles and progress and ctx.is_main:
            print(
                f"{self.teacher.card.name} is style-conditioned ({', '.join(teacher_has)}); {config.student} learns "
                f"its first style at full strength (--student mobilegen_styled_s_050 learns them all)",
                file=sys.stderr,
            )
        if self.styles:
            refuse_for_styles(config)
            self.float_model.set_style_names(self.styles)
        self._condition = None  # the current batch's (style weights, strengths), for a style-conditioned teacher
        self.recurrent = bool(self.float_model.card.recurrent)  # fed its previous output: frame pairs
        self.adapters = FeatureAdapters(self.float_model.tap_channels(), self.teacher.tap_channels()).to(device)
        self.taps = [t for t in config.taps if t in self.adapters.taps]
        self.student = self._quantization_aware(self.float_model) if config.qat else self.float_model
        params = list(self.student.parameters()) + list(self.adapters.parameters())
        self.modules = {"student": self.student, "adapters": self.adapters}
        if config.ema:  # saved and resumed with the rest; student.safetensors gets these weights
            self.ema_model = copy.deepcopy(self.float_model).eval().requires_grad_(False)
            self.modules["ema"] = self.ema_model
        self.optimizers = {"opt": torch.optim.Adam(params, lr=config.lr)}
        self.perceptual = self.gram = self.disc = None
        setup_criteria(self)  # what the losses that are on need: VGG-19, a discriminator and its optimizer
        self.amp_dtype = _amp_dtype(device) if config.amp else None
        # fp16 needs its gradients scaled; bf16 has fp32's range
        self.scaler = torch.amp.GradScaler(device.type, enabled=self.amp_dtype == torch.float16)

    def _quantization_aware(self, model: torch.nn.Module) -> torch.nn.Module:
        """A fake-quantized copy of `model`, its quantizers calibrated on real training crops."""
        from stylelite.distill.quantization import prepare_qat

        c = self.config
        stills, clips = load_sources(c.data)
        images = stills + [f for clip in clips for f in clip.frames[:: max(1, len(clip.frames) // 16)]]
        batches = [b.to(self.device) for b in calibration_batches(images, c.crop, c.qat_calib_batches, c.batch, c.seed)]
        return prepare_qat(copy.deepcopy(model), batches, c.qat_engine)

    def prepare(self, start: int) -> None:
        """Label the cache with the teacher (then drop it); frame pairs and generators seeded by `start`."""
        c = self.config
        stills, clips = load_sources(c.data)
        images = stills + [f for clip in clips for f in clip.frames[:: max(1, len(clip.frames) // 16)]]
        if isinstance(self.teacher, GraphTeacher):  # its card is checked on a real crop before any labelling
            probe_graph_teacher(self.teacher, random_crop(images[0], c.crop, np.random.default_rng(c.seed)))
            if self.progress and self.ctx.is_main:
                print(
                    f"teacher {self.teacher.path.name}: an exported graph run in {self.teacher.runs_in}; "
                    "distilling its outputs (pixel-level: a graph has no feature taps)",
                    file=sys.stderr,
                )
        if c.labels:
            self.cache = open_label_store(c, self.teacher, start, self.progress, self.ctx, len(self.styles))
        else:
            self.cache = TeacherCache(
                self.teacher, images, c.cache_size, c.crop, c.seed, self.taps, progress=self.progress,
                n_styles=len(self.styles),
            )  # fmt: skip
        self.teacher = None  # not needed after the cache
        self.long_offsets = c.long_term_offsets if c.w_long_term else ()
        offsets = (1, *self.long_offsets)
        self.pairs = MotionPairs(stills, clips, c.crop, c.seed + 7 + start, offsets, flow_cache=c.flow_cache)
        self.sf_gen = torch.Generator().manual_seed(c.seed + 11 + start)  # CPU generators: the same draws on any device
        self.rec_gen = torch.Generator().manual_seed(c.seed + 13 + start)
        self.step = start

    def _seed_step(self) -> None:
        """Seed every sampler from (seed, step): step k draws the same batches, pairs and motions whether
        the run got there straight or through a resume."""
        c, k = self.config, self.step
        rank = [self.ctx.rank] if self.ctx.world_size > 1 else []  # each rank draws its own batches
        self.cache.rng = np.random.default_rng([c.seed + 1, k, *rank])  # a TeacherCache or a LabelStore
        self.pairs.rng = np.random.default_rng([c.seed + 7, k, *rank])
        self.sf_gen.manual_seed(int(np.random.SeedSequence([c.seed + 11, k, *rank]).generate_state(1)[0]))
        self.rec_gen.manual_seed(int(np.random.SeedSequence([c.seed + 13, k, *rank]).generate_state(1)[0]))
        self.step += 1

    def train_step(self) -> dict[str, torch.Tensor]:
        """One update on a cache batch and temporal pairs; the weighted terms and their sum."""
        c, dev = self.config, self.device
        zero = torch.zeros((), device=dev)
        self._seed_step()
        x, y_t, f_t, cond = self.cache.batch(c.batch)
        x, y_t, f_t = x.to(dev), y_t.to(dev), {k: v.to(dev) for k, v in f_t.items()}
        self._condition = None if cond is None else tuple(t.to(dev) for t in cond)
        with self._autocast(), self.styled():
            loss, terms, recurrent, y_s = self._student_terms(x, y_t, f_t, zero)
        opt = self.optimizers["opt"]
        opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.ctx.average_gradients([self.student, self.adapters])
        self.scaler.step(opt)
        if self.disc is not None:  # then the discriminator, on the same batch
            d_opt = self.optimizers["disc"]
            d_opt.zero_grad(set_to_none=True)
            with self._autocast():
                terms["disc"] = discriminator_loss(self.disc, x, y_t, y_s)
            self.scaler.scale(terms["disc"]).backward()
            self.ctx.average_gradients([self.disc])
            self.scaler.step(d_opt)
        self.scaler.update()
        if c.ema:
            _ema_update(self.ema_model, self.float_model, c.ema)
        return {"loss": loss.detach(), **{k: v.detach().float() for k, v in {**terms, **recurrent}.items()}}

    def styled(self, n: int | None = None):
        """Inside this block the student renders the batch's conditions (the first `n`: a temporal batch's
        pairs take the conditions of the first crops); a no-op for a one-style teacher."""
        if self._condition is None:
            return contextlib.nullcontext()
        weights, strength = self._condition
        n = n or len(weights)  # more pairs than crops: their conditions repeat
        return self.float_model.conditioned(tile(weights, n), tile(strength, n))

    def _autocast(self):
        """Mixed precision (--amp) around the forward passes; a no-op context without it."""
        return torch.autocast(
            self.device.type, dtype=self.amp_dtype or torch.bfloat16, enabled=self.amp_dtype is not None
        )

    def _student_terms(self, x, y_t, f_t, zero):
        """The student's weighted loss on a batch and its temporal pairs (criteria.CRITERIA, then a recurrent
        student's second frame): (loss, terms, recurrent terms, output)."""
        y_s, f_s = self.student.forward_features(x)
        loss, terms = weighted_loss(self, StepBatch(x, y_t, f_t, y_s, f_s), zero)
        recurrent = {}
        if self.recurrent:  # frame t = the crop moved, with prev = the student's own (noisy) output of the crop
            c = self.config
            flow, mask = random_affine_flow(len(x), x.shape[-2], x.shape[-1], self.rec_gen, max_shift=6.0)
            flow, mask = flow.to(x.device), mask.to(x.device)
            rpix, rtemp = recurrent_losses(self.student, x, y_s, y_t, flow, mask, c.prev_noise, self.rec_gen)
            loss = loss + c.w_pixel * rpix + c.w_temporal * rtemp
            recurrent = {"recurrent_pixel": rpix, "recurrent_temporal": rtemp}
        return loss, terms, recurrent, y_s

    def temporal_pairs_loss(self) -> torch.Tensor:
        """Short-term (t-1 -> t) masked output difference on a batch of frame pairs."""
        prev, cur, flow, mask = (t.to(self.device) for t in self.pairs.batch(self.config.temporal_batch))
        with self.styled(len(prev)):
            out = self._pair_outputs(prev, cur)
        return temporal_loss(out[: len(prev)], out[len(prev) :], flow, mask)

    def _pair_outputs(self, prev: torch.Tensor, cur: torch.Tensor) -> torch.Tensor:
        """The student's outputs of both frames of each pair, [2T,3,H,W]."""
        if self.recurrent:  # as the runtime runs it: frame t gets the output of frame t-1 as prev
            out_prev = self.student(prev)
            return torch.cat([out_prev, self.student(cur, out_prev)])
        return self.student(torch.cat([prev, cur]))

    def long_term_pairs_loss(self) -> torch.Tensor:
        """Long-term (t-k -> t) masked output differences, one batch of pairs per offset k."""
        long_pairs = []
        for k in self.long_offsets:
            prev, cur, flow, mask = (t.to(self.device) for t in self.pairs.batch(self.config.temporal_batch, offset=k))
            with self.styled(len(prev)):
                out = self.student(torch.cat([prev, cur]))
            long_pairs.append((out[: len(prev)], out[len(prev) :], flow, mask))
        return long_term_temporal_loss(long_pairs)

    def finish(self, run: Path, scores: dict[str, float]) -> None:
        """student.safetensors: the float student (after QAT: its weights shaped by the quantizers)."""
        c = self.config
        self.student.eval()
        if c.qat:
            from stylelite.distill.quantization import float_state_dict, qat_bounds, qat_record
            from stylelite.runtime.files import write_json_atomic

            self.float_model.load_state_dict(float_state_dict(self.student, self.float_model))
            learned = qat_bounds(self.student)
            if learned:  # the learned int8 ranges become part of the student, in every export
                self.float_model.set_activation_bounds(learned)
            write_json_atomic(run / "qat.json", qat_record(c.qat_engine))
        bounds = self.float_model.activation_bounds() if hasattr(self.float_model, "activation_bounds") else {}
        metadata = {
            "model": c.student,
            "distilled_from": c.teacher,
            "steps": c.steps,
            **recorded_weights(c),
            **({"prev_noise": c.prev_noise} if self.recurrent else {}),
            **({"qat": c.qat, "qat_engine": c.qat_engine} if c.qat else {}),
            **({"activation_bounds": json.dumps(bounds)} if bounds else {}),
            **({"styles": ",".join(self.styles)} if self.styles else {}),
        }
        if c.ema:  # the averaged weights are the student (its BatchNorm statistics are averaged too)
            metadata["ema"] = c.ema
        final = self.ema_model if c.ema else self.float_model
        save_weights(run / "student.safetensors", final.eval(), metadata=metadata)


@torch.no_grad()
def _ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """ema <- decay * ema + (1 - decay) * model, parameters and float buffers alike."""
    for e, m in zip(ema.state_dict().values(), model.state_dict().values()):
        if e.dtype.is_floating_point:
            e.mul_(decay).add_(m, alpha=1.0 - decay)
        else:
            e.copy_(m)


def _teacher_label(teacher: str) -> str:
    """The teacher's part of a run folder's name: `cyclegan_r9_bn_cartoon`, or a file's stem (`plain_onnx`)."""
    import re

    name = f"{Path(teacher).stem}{Path(teacher).suffix}" if "/" in teacher or "\\" in teacher else teacher
    return re.sub(r"[^\w-]", "_", name)


def loop_settings(config: DistillConfig) -> LoopSettings:
    """The shared loop's settings of a distillation: cosine learning rate; one process or torchrun's ranks."""
    label = f"{config.student}-{_teacher_label(config.teacher)}"
    return LoopSettings.of(config, label, "distill", LRSchedule("cosine", config.lr, config.steps))


def distill(
    teacher: str | None = None,
    student: str | None = None,
    out: str | Path = "runs",
    resume: str | Path | None = None,
    progress: bool = True,
    recipe_minutes: float = 0.0,
    **overrides,
) -> Path:
    """Distil `teacher` into `student`; return the run folder holding `student.safetensors`.

    Args:
        teacher: a registered teacher name (`name.tag` for shipped weights); default cyclegan_r9_bn.cartoon.
        student: a registered student name; default mobilegen_s_050.
        out: parent folder of the new run folder.
        resume: a distill run folder to continue from its last saved state, with its saved config. Options
            given with it must equal the saved ones, except `steps` (a larger value extends the run),
            `save_every` and `threads`; anything else changed is a ConfigError naming the option.
        progress: show progress bars.
        recipe_minutes: with no `student` (and no resume), measure the teacher and let the default recipe
            (distill/recipe.py) choose the student, labels, losses and schedule for this many minutes; options
            given in `overrides` are kept. 0: DistillConfig's plain defaults (the CLI passes 60).
        **overrides: DistillConfig fields (steps, batch, data, w_temporal, ...).
    """
    given = {k: v for k, v in dict(teacher=teacher, student=student, **overrides).items() if v is not None}
    if not resume and student is None and recipe_minutes and not given.get("random_teacher"):
        given = with_recipe(given, out, recipe_minutes, progress)
    elif "w_feature" not in given and (given.get("labels") or graph_teacher(given)):
        given["w_feature"] = 0.0  # the feature loss needs the teacher's taps, which a label store or a graph lacks
    if resume:
        config = apply_resume_options(resume, DistillConfig(**read_run_config(resume, "distill")), given)
    else:
        config = DistillConfig(**given)
    build = functools.partial(DistillTrainer, config, progress=progress)
    return run_training(config, build, loop_settings(config), out=out, resume=resume, progress=progress)


def _amp_dtype(device: torch.device) -> torch.dtype:
    """bf16 where the device has it (CPUs emulate it; CUDA from Ampere on), else fp16 (scaled gradients)."""
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        return torch.float16
    return torch.bfloat16
