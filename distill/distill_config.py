"""The configuration of `stylelite distill` (stylelite.distill.distiller.distill)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

from stylelite.models.registry import STUDENTS
from stylelite.runtime.errors import ConfigError


@dataclass(frozen=True)
class DistillConfig:
    """Everything a distillation run uses; written to the run's config.json and read back on resume.

    Lists read from config.json become tuples, and fields an older run folder lacks take their
    defaults, so every distill run folder resumes.
    """

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
        for f in fields(self):  # lists from config.json -> tuples
            if isinstance(getattr(self, f.name), list):
                object.__setattr__(self, f.name, tuple(getattr(self, f.name)))
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
