"""`stylelite distill`: teacher -> MobileGen student with pixel, feature and temporal losses."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from stylelite.distill.data import MotionPairs, TeacherCache, load_sources, teacher_padding
from stylelite.distill.losses import (
    FeatureAdapters,
    long_term_temporal_loss,
    pixel_loss,
    random_affine_flow,
    recurrent_losses,
    single_frame_loss,
    temporal_loss,
)
from stylelite.distill.run_dir import ScalarLog, load_config_json, new_run_dir, save_resolved_config
from stylelite.distill.training_state import load_training_state, save_training_state, save_weights
from stylelite.models.registry import STUDENTS, create_student
from stylelite.runtime.errors import ConfigError


@dataclass(frozen=True)
class DistillConfig:
    teacher: str = "cyclegan_r9_bn.cartoon"
    teacher_checkpoint: str | None = None
    student: str = "mobilegen_s_050"
    data: tuple[str, ...] = ("builtin",)
    steps: int = 600
    batch: int = 8
    crop: int = 128
    cache_size: int = 192  # teacher-labelled crops, computed once
    lr: float = 2e-3
    w_pixel: float = 1.0
    w_feature: float = 0.1
    w_temporal: float = 5.0  # short-term (t-1 -> t) masked output MSE; 0 turns it off; useful 1-20
    temporal_batch: int = 4
    # Long-term pairs (t-k -> t for k in long_term_offsets; stills: k composed camera motions): 0 is off;
    # useful 1-10 (about w_temporal); each k costs a student forward/backward on temporal_batch pairs.
    w_long_term: float = 0.0
    long_term_offsets: tuple[int, ...] = (5,)
    # Single-frame regularization (Eilertsen et al. 2019) on the cache crops: ||f(T(x)) - T(f(x))||^2 for a
    # small random shift/zoom/roll T; 0 is off; useful 1-10. Teaches stability without any video.
    w_single_frame: float = 0.0
    # Recurrent students (mobilegen_t_*, fed their previous output): std of the noise added to that previous
    # output in training, so the student learns to correct it rather than copy it; ignored by other students.
    prev_noise: float = 0.05
    flow_cache: str | None = None  # folder caching each training clip's flows across runs (None: memory only)
    seed: int = 0
    threads: int = 0
    save_every: int = 100
    taps: tuple[str, ...] = field(default=("down", "mid", "deep"))
    qat: str = ""  # "int8": quantization-aware training (fake-quantized weights and activations)
    qat_engine: str = "nncf"  # distill/quantization.py QAT_ENGINES
    qat_calib_batches: int = 8  # cache batches that calibrate the quantizers before QAT
    init_from: str | None = None  # start from these student weights (e.g. a float run's student.safetensors)

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch < 1 or self.cache_size < self.batch:
            raise ConfigError("steps and batch must be >= 1 and cache_size >= batch")
        if self.crop < 32 or self.crop % 4:
            raise ConfigError(f"crop={self.crop}: use a multiple of 4, at least 32")
        if min(self.w_pixel, self.w_feature, self.w_temporal, self.w_long_term, self.w_single_frame) < 0:
            raise ConfigError("loss weights must be >= 0")
        if self.prev_noise < 0:
            raise ConfigError(f"prev_noise={self.prev_noise}: use a noise std >= 0 (e.g. 0.05)")
        if not self.long_term_offsets or min(self.long_term_offsets) < 2:
            raise ConfigError(f"long_term_offsets={self.long_term_offsets}: give frame distances >= 2, e.g. (5,)")
        if not self.data:
            raise ConfigError("give training data: --data builtin, an image folder or a video file")
        STUDENTS.get(self.student)  # unknown names fail here, with suggestions
        from stylelite.distill.quantization import check_qat_options

        check_qat_options(self.qat, self.qat_engine)
        if self.qat and getattr(STUDENTS.get(self.student)(), "recurrent", False):
            raise ConfigError(
                f"{self.student} is recurrent and has no int8 export, so QAT does not apply: "
                "use a mobilegen_s_* student"
            )
        if self.init_from and not Path(self.init_from).is_file():
            raise ConfigError(f"init_from={self.init_from}: no such weights file (give RUN/student.safetensors)")


def distill(
    teacher: str = "cyclegan_r9_bn.cartoon",
    student: str = "mobilegen_s_050",
    out: str | Path = "runs",
    resume: str | Path | None = None,
    progress: bool = True,
    **overrides,
) -> Path:
    """Distil `teacher` into `student`; returns the run folder holding `student.safetensors`.

    `overrides` are DistillConfig fields (steps, batch, data, w_temporal, ...). With `resume`
    (a run folder) the run continues from its last saved state with its saved config.
    """
    from tqdm import tqdm

    from stylelite.models.load import load_model

    if resume:
        run = Path(resume)
        if not (run / "config.json").is_file():
            raise ConfigError(f"{run} is not a distill run folder (no config.json)")
        raw = load_config_json(run)
        raw["long_term_offsets"] = tuple(raw.get("long_term_offsets", DistillConfig.long_term_offsets))
        config = DistillConfig(**{**raw, "data": tuple(raw["data"]), "taps": tuple(raw["taps"])})
    else:
        config = DistillConfig(teacher=teacher, student=student, **overrides)
    if config.threads:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    t_model = load_model(config.teacher, config.teacher_checkpoint).model
    teacher_padding(config.crop, t_model.card.stride, t_model.card.name)  # a too-small crop fails before the run
    if not resume:
        run = new_run_dir(out, f"{config.student}-{config.teacher.replace('.', '_')}")
        save_resolved_config(run, config)
    s_model = create_student(config.student, checkpoint=config.init_from).train()
    float_model = s_model
    adapters = FeatureAdapters(s_model.tap_channels(), t_model.tap_channels())
    taps = [t for t in config.taps if t in adapters.taps]
    if config.qat:  # calibrate the fake quantizers on real training crops, then train through them
        import copy

        from stylelite.distill.quantization import prepare_qat

        stills, clips = load_sources(config.data)
        images = stills + [f for c in clips for f in c.frames[:: max(1, len(c.frames) // 16)]]
        batches = _calibration_batches(images, config.crop, config.qat_calib_batches, config.batch, config.seed)
        s_model = prepare_qat(copy.deepcopy(s_model), batches, config.qat_engine)
    opt = torch.optim.Adam(list(s_model.parameters()) + list(adapters.parameters()), lr=config.lr)

    def lr_at(step: int) -> float:  # cosine from lr to 2% of lr; a function of the step, so resume is exact
        return config.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * step / config.steps)))

    state = run / "state.safetensors"
    start = 0
    if resume and state.exists():
        start = load_training_state(state, {"student": s_model, "adapters": adapters}, {"opt": opt})["step"]
    stills, clips = load_sources(config.data)
    cache_images = stills + [f for c in clips for f in c.frames[:: max(1, len(c.frames) // 16)]]
    cache = TeacherCache(t_model, cache_images, config.cache_size, config.crop, config.seed, taps, progress=progress)
    del t_model  # the teacher is not needed after the cache
    long_offsets = config.long_term_offsets if config.w_long_term else ()
    pairs = MotionPairs(
        stills, clips, config.crop, config.seed + 7 + start, (1, *long_offsets), flow_cache=config.flow_cache
    )
    sf_gen = torch.Generator().manual_seed(config.seed + 11 + start)
    recurrent = getattr(float_model, "recurrent", False)  # fed its previous output: trained on frame pairs
    rec_gen = torch.Generator().manual_seed(config.seed + 13 + start)
    log = ScalarLog(run)
    t0 = time.time()
    bar = tqdm(
        range(start, config.steps), initial=start, total=config.steps, desc="distill", unit="step", disable=not progress
    )
    for step in bar:
        for group in opt.param_groups:
            group["lr"] = lr_at(step)
        x, y_t, f_t = cache.batch(config.batch)
        y_s, f_s = s_model.forward_features(x)
        l_pix = pixel_loss(y_s, y_t)
        l_feat = adapters({k: f_s[k] for k in taps}, f_t) if config.w_feature else torch.zeros(())
        loss = config.w_pixel * l_pix + config.w_feature * l_feat
        l_rpix = l_rtemp = torch.zeros(())
        if recurrent:  # frame t = the crop moved, with prev = the student's own (noisy) output of the crop
            flow, mask = random_affine_flow(len(x), x.shape[-2], x.shape[-1], rec_gen, max_shift=6.0)
            l_rpix, l_rtemp = recurrent_losses(s_model, x, y_s, y_t, flow, mask, config.prev_noise, rec_gen)
            loss = loss + config.w_pixel * l_rpix + config.w_temporal * l_rtemp
        l_temp = torch.zeros(())
        if config.w_temporal:
            prev, cur, flow, mask = pairs.batch(config.temporal_batch)
            if recurrent:  # as the runtime runs it: frame t gets the output of frame t-1 as prev
                out_prev = s_model(prev)
                out = torch.cat([out_prev, s_model(cur, out_prev)])
            else:
                out = s_model(torch.cat([prev, cur]))
            l_temp = temporal_loss(out[: len(prev)], out[len(prev) :], flow, mask)
            loss = loss + config.w_temporal * l_temp
        l_long = torch.zeros(())
        if config.w_long_term:
            long_pairs = []
            for k in long_offsets:
                prev, cur, flow, mask = pairs.batch(config.temporal_batch, offset=k)
                out = s_model(torch.cat([prev, cur]))
                long_pairs.append((out[: len(prev)], out[len(prev) :], flow, mask))
            l_long = long_term_temporal_loss(long_pairs)
            loss = loss + config.w_long_term * l_long
        l_single = torch.zeros(())
        if config.w_single_frame:
            xs = x[: config.temporal_batch]
            flow, mask = random_affine_flow(len(xs), xs.shape[-2], xs.shape[-1], sf_gen)
            l_single = single_frame_loss(s_model, xs, flow, mask, out=y_s[: len(xs)])
            loss = loss + config.w_single_frame * l_single
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        done = step + 1
        if done % 10 == 0 or done == config.steps:
            log.log(
                done,
                loss=loss.item(),
                pixel=l_pix.item(),
                feature=l_feat.item(),
                temporal=l_temp.item(),
                long_term=l_long.item(),
                single_frame=l_single.item(),
                **({"recurrent_pixel": l_rpix.item(), "recurrent_temporal": l_rtemp.item()} if recurrent else {}),
                lr=lr_at(step),
                sec_per_step=(time.time() - t0) / (done - start),
            )
            bar.set_postfix(pix=f"{l_pix.item():.3f}", temp=f"{l_temp.item():.4f}")
        if done % config.save_every == 0 or done == config.steps:
            save_training_state(state, {"student": s_model, "adapters": adapters}, {"opt": opt}, {"step": done})
    log.close()
    s_model.eval()
    qat_meta = {}
    if config.qat:
        from stylelite.distill.quantization import float_state_dict, qat_record

        float_model.load_state_dict(float_state_dict(s_model, float_model))
        qat_meta = qat_record(config.qat_engine)
        from stylelite.runtime.files import write_json_atomic

        write_json_atomic(run / "qat.json", qat_meta)
    save_weights(
        run / "student.safetensors",
        float_model.eval(),
        metadata={
            "model": config.student,
            "distilled_from": config.teacher,
            "steps": config.steps,
            "w_temporal": config.w_temporal,
            "w_long_term": config.w_long_term,
            "w_single_frame": config.w_single_frame,
            **({"prev_noise": config.prev_noise} if recurrent else {}),
            **({"qat": config.qat, "qat_engine": config.qat_engine} if config.qat else {}),
        },
    )
    return run


def _calibration_batches(images: list, crop: int, n: int, batch: int, seed: int) -> list[torch.Tensor]:
    """`n` batches of random real crops [B,3,crop,crop] in [-1, 1] (inputs only, no teacher labels)."""
    from stylelite.models.tensors import to_tensor

    rng = np.random.default_rng(seed + 101)
    out = []
    for _ in range(n):
        crops = []
        for _ in range(batch):
            img = images[int(rng.integers(len(images)))]
            h, w = img.shape[:2]
            if min(h, w) < crop:
                import cv2

                s = crop / min(h, w)
                img = cv2.resize(img, (max(crop, round(w * s)), max(crop, round(h * s))))
                h, w = img.shape[:2]
            y, x = int(rng.integers(h - crop + 1)), int(rng.integers(w - crop + 1))
            crops.append(img[y : y + crop, x : x + crop])
        out.append(to_tensor(np.stack(crops)))
    return out


def holdout_fidelity(run: str | Path) -> float:
    """Mean PSNR (dB) of a distilled student to its teacher on the held-out photos at 256 px."""
    import cv2

    from stylelite.distill.photos import builtin_photos
    from stylelite.models.load import load_model
    from stylelite.models.tensors import run_model
    from stylelite.runtime.metrics import psnr

    cfg = load_config_json(Path(run))
    teacher = load_model(cfg["teacher"], cfg.get("teacher_checkpoint")).model
    student = load_model(str(Path(run) / "student.safetensors")).model
    scores = []
    for photo in builtin_photos("heldout").values():
        h, w = photo.shape[:2]
        s = 256 / max(h, w)
        small = cv2.resize(photo, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        scores.append(psnr(run_model(student, small), run_model(teacher, small)))
    return float(np.mean(scores))
