"""The configuration of `train-teacher`: `FamilyTrainConfig` with each family's published defaults,
and `TeacherTrainConfig`, the built-in cartoon teacher's preset of the pix2pix family.

Fields left at None take the family's default in `__post_init__`, so the config.json a run writes
holds the resolved values (what the run really used), and a resume reads them back unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from pathlib import Path

from stylelite.runtime.errors import CheckpointError, ConfigError

FAMILIES = ("pix2pix", "cyclegan", "unit", "multistyle", "fast_neural_style")

# Generators each family may train (the first is the default). All are registered teachers, so the
# final weights load with `create_teacher(name, checkpoint=...)` and distil with `stylelite distill`.
GENERATORS = {
    "pix2pix": ("pix2pix_unet256", "pix2pix_unet128", "cyclegan_r9_bn", "cyclegan_r9"),
    "cyclegan": ("cyclegan_r9", "cyclegan_r6", "cyclegan_unet256", "cyclegan_r9_bn"),
    "unit": ("unit_a2b",),
    "multistyle": ("multistyle",),
    "fast_neural_style": ("fast_neural_style",),
}

# The published recipes (see each family's module docstring for the source).
# weight_init: "normal" is N(0, 0.02) (pytorch-CycleGAN-and-pix2pix, UNIT); "torch" keeps PyTorch's default.
_GAN = dict(beta1=0.5, weight_decay=0.0, weight_init="normal")
_PERCEPTUAL = dict(steps=40_000, batch=4, lr=1e-3, beta1=0.9, weight_decay=0.0, lr_policy="constant", load_ratio=1.0)
FAMILY_DEFAULTS: dict[str, dict] = {
    "pix2pix": dict(steps=100_000, batch=1, lr=2e-4, lr_policy="linear", load_ratio=286 / 256, **_GAN),
    "cyclegan": dict(steps=200_000, batch=1, lr=2e-4, lr_policy="linear", load_ratio=286 / 256, **_GAN),
    "unit": dict(steps=1_000_000, batch=1, lr=1e-4, lr_policy="step", load_ratio=1.0, **{**_GAN, "weight_decay": 1e-4}),
    "multistyle": dict(_PERCEPTUAL, weight_init="torch"),
    "fast_neural_style": dict(_PERCEPTUAL, weight_init="torch"),
}
LR_POLICIES = ("constant", "linear", "step")
WEIGHT_INITS = ("normal", "torch")
# pix2pix targets computed from each input crop instead of read from --data-b (stylelite.distill.cartoon)
TARGET_FILTERS = ("cartoon",)
GAN_LOSSES = ("lsgan", "wgangp")
VGG_FILE = "vgg16-397923af.pth"
VGG_HINT = f"torchvision's ImageNet VGG-16 file {VGG_FILE} (keys features.0.weight ... features.28.bias)"


@dataclass(frozen=True)
class FamilyTrainConfig:
    family: str = "cyclegan"
    generator: str | None = None
    # data: 'builtin' (the bundled photos), 'world' (the data extra's), image folders or video files (sampled to frames)
    data_a: tuple[str, ...] = ()
    data_b: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()  # style images, `path` or `name=path` (multistyle, fast_neural_style)
    vgg: str = ""  # ImageNet VGG-16 weights for the perceptual loss (vgg16-397923af.pth)
    steps: int | None = None
    batch: int | None = None
    crop: int = 256
    load_size: int | None = None  # shorter side is resized to this, then a random crop is taken
    flip: bool = True
    # pix2pix: compute each target from its augmented input crop with this filter ("cartoon") instead of
    # reading --data-b; the load size is then 0 (photos at their own size, rescaled at random per crop)
    target_filter: str = ""
    augment: bool = True  # target_filter: random rescale and colour jitter of each photo before the crop
    frame_every: int = 10  # take every n-th frame of a video
    max_frames: int = 300  # frames per video at most
    # optimisation
    lr: float | None = None
    beta1: float | None = None
    beta2: float = 0.999
    weight_decay: float | None = None
    lr_policy: str | None = None
    decay_from: float = 0.5  # linear: constant, then to 0 over the last (1 - decay_from) of the run
    lr_step: int = 100_000  # step: multiply by lr_gamma every lr_step steps
    lr_gamma: float = 0.5
    weight_init: str | None = None  # normal: N(0, 0.02); torch: PyTorch's default initialisation
    # adversarial families (cyclegan, unit, pix2pix)
    gan_loss: str = "lsgan"
    lambda_gp: float = 10.0
    pool_size: int = 50
    lambda_gan: float = 1.0
    lambda_cycle: float = 10.0
    lambda_identity: float = 0.5  # a fraction of lambda_cycle, as CycleGAN
    lambda_recon: float = 10.0  # unit
    lambda_kl: float = 0.01  # unit
    lambda_kl_cycle: float = 0.01  # unit
    lambda_l1: float = 100.0  # pix2pix
    # perceptual families (fast_neural_style, multistyle)
    content_weight: float = 1e5
    style_weight: float = 1e10
    tv_weight: float = 1e6
    identity_weight: float = 1e5  # multistyle: pixel loss of the identity code
    style_size: int = 0  # 0: the style image's shorter side is resized to `crop`
    vgg_random_width: float = 0.0  # >0: a random-init VGG-16 of this width (tests only; meaningless styles)
    # run
    seed: int = 0
    threads: int = 0
    device: str = "auto"
    save_every: int = 1000
    log_every: int = 10

    def __post_init__(self) -> None:
        for f in fields(self):  # lists from config.json -> tuples
            v = getattr(self, f.name)
            if isinstance(v, list):
                object.__setattr__(self, f.name, tuple(v))
        if self.family not in FAMILIES:
            raise ConfigError(f"family {self.family!r}: choose one of {', '.join(FAMILIES)}")
        defaults = FAMILY_DEFAULTS[self.family]
        for key in ("steps", "batch", "lr", "beta1", "weight_decay", "lr_policy", "weight_init"):
            if getattr(self, key) is None:
                object.__setattr__(self, key, defaults[key])
        if self.load_size is None:
            load_size = 0 if self.target_filter else int(round(self.crop * defaults["load_ratio"]))
            object.__setattr__(self, "load_size", load_size)
        allowed = GENERATORS[self.family]
        if self.generator is None:
            object.__setattr__(self, "generator", allowed[0])
        if self.generator not in allowed:
            raise ConfigError(f"--generator {self.generator}: the {self.family} family trains {', '.join(allowed)}")
        self._check_numbers()
        self._check_data()
        self._check_sources()

    def _check_sources(self) -> None:
        """Every --data-a/--data-b entry exists and holds images (listed, not read): a bad path fails here,
        before any model loads or any run folder exists."""
        from stylelite.distill.trainers.data import list_sources

        list_sources(self.data_a)
        list_sources(self.data_b)

    def _check_numbers(self) -> None:
        for name in ("steps", "batch", "crop", "load_size", "lr_step", "pool_size", "style_size", "seed", "threads"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{name}={value!r}: use a whole number (--{name.replace('_', '-')} N)")
        floats = (
            "lr beta1 beta2 weight_decay decay_from lr_gamma lambda_gp lambda_gan lambda_cycle lambda_identity "
            "lambda_recon lambda_kl lambda_kl_cycle lambda_l1 content_weight style_weight tv_weight identity_weight "
            "vgg_random_width"
        ).split()
        for name in floats:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"{name}={value}: use a finite number (--{name.replace('_', '-')})")
        if self.lr <= 0:
            raise ConfigError(f"lr={self.lr}: use a learning rate > 0 (e.g. --lr 2e-4)")
        if self.steps < 1 or self.batch < 1:
            raise ConfigError(
                f"steps={self.steps}, batch={self.batch}: both must be >= 1 (e.g. --steps 1000 --batch 1)"
            )
        if self.seed < 0 or self.threads < 0:
            raise ConfigError(
                f"seed={self.seed}, threads={self.threads}: both must be >= 0 (threads 0: torch's default)"
            )
        if self.crop < 32 or self.crop % 4:
            raise ConfigError(f"crop={self.crop}: use a multiple of 4, at least 32")
        stride = self.generator_stride()
        if self.crop % stride:
            raise ConfigError(f"crop={self.crop}: {self.generator} needs a multiple of {stride}; pass --crop {stride}")
        if self.target_filter and self.load_size:
            raise ConfigError(
                f"load_size={self.load_size}: --target-filter uses the photos at their own size (each crop is "
                "rescaled at random); drop --load-size"
            )
        if not self.target_filter and self.load_size < self.crop:
            raise ConfigError(f"load_size={self.load_size} is smaller than crop={self.crop}; use at least the crop")
        if self.lr <= 0 or not 0 <= self.beta1 < 1 or not 0 <= self.beta2 < 1 or self.weight_decay < 0:
            raise ConfigError("lr must be > 0, betas in [0, 1), weight_decay >= 0")
        if self.weight_init not in WEIGHT_INITS:
            raise ConfigError(f"weight_init {self.weight_init!r}: choose one of {', '.join(WEIGHT_INITS)}")
        if self.lr_policy not in LR_POLICIES:
            raise ConfigError(f"lr_policy {self.lr_policy!r}: choose one of {', '.join(LR_POLICIES)}")
        if not 0.0 <= self.decay_from <= 1.0:
            raise ConfigError("decay_from is a fraction of the run, between 0 and 1")
        if self.lr_step < 1 or not 0 < self.lr_gamma <= 1:
            raise ConfigError("lr_step must be >= 1 and lr_gamma in (0, 1]")
        if self.gan_loss not in GAN_LOSSES:
            raise ConfigError(f"gan_loss {self.gan_loss!r}: choose one of {', '.join(GAN_LOSSES)}")
        weights = (
            "lambda_gp lambda_gan lambda_cycle lambda_identity lambda_recon lambda_kl lambda_kl_cycle lambda_l1 "
            "content_weight style_weight tv_weight identity_weight vgg_random_width"
        ).split()
        negative = [w for w in weights if getattr(self, w) < 0]
        if negative:
            raise ConfigError(f"{', '.join(negative)} must be >= 0")
        if self.pool_size < 0 or self.style_size < 0 or self.frame_every < 1 or self.max_frames < 1:
            raise ConfigError("pool_size and style_size must be >= 0, frame_every and max_frames >= 1")
        if self.save_every < 1 or self.log_every < 1:
            raise ConfigError("save_every and log_every must be >= 1")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"device {self.device!r}: choose auto, cpu or cuda")

    def _check_data(self) -> None:
        self._check_target_filter()
        if self.target_filter:
            return
        adversarial = self.family in ("pix2pix", "cyclegan", "unit")
        if adversarial:
            if not self.data_a or not self.data_b:
                what = "paired folders (files matched by name)" if self.family == "pix2pix" else "unpaired data"
                raise ConfigError(
                    f"the {self.family} family needs {what}: --data-a DIR_OR_VIDEO --data-b DIR_OR_VIDEO "
                    "(image folders, video files or 'builtin'; repeat to combine)"
                )
            if self.styles:
                raise ConfigError(f"--style is for multistyle and fast_neural_style, not {self.family}")
            return
        if not self.data_a:
            object.__setattr__(self, "data_a", ("builtin",))
        if self.data_b:
            raise ConfigError(f"the {self.family} family learns from content images only: drop --data-b")
        n = len(self.styles)
        if self.family == "fast_neural_style" and n != 1:
            raise ConfigError(
                f"fast_neural_style trains one network per style: give exactly one --style IMAGE (got {n})"
            )
        from stylelite.models.multistyle import STYLE_SLOTS, encode_names

        if self.family == "multistyle" and not 1 <= n <= STYLE_SLOTS:
            raise ConfigError(f"multistyle needs 1 to {STYLE_SLOTS} --style IMAGE (or NAME=IMAGE) entries (got {n})")
        names = [name for name, _ in self.style_entries()]
        if len(set(names)) != len(names):
            raise ConfigError(f"style names repeat ({', '.join(names)}): name them with --style NAME=IMAGE")
        try:
            encode_names(names, max(n, 1))
        except ValueError as exc:
            raise ConfigError(f"{exc}; name the style with --style NAME=IMAGE") from None
        for _, path in self.style_entries():
            if not Path(path).is_file():
                raise ConfigError(f"style image not found: {path}")
        if self.vgg_random_width == 0:
            if not self.vgg:
                raise ConfigError(f"the perceptual loss needs ImageNet VGG-16 weights: pass --vgg PATH to {VGG_HINT}")
            if not Path(self.vgg).is_file():
                raise CheckpointError(f"VGG-16 weights not found: {self.vgg}; expected {VGG_HINT}")

    def _check_target_filter(self) -> None:
        if not self.target_filter:
            if not self.augment:
                raise ConfigError(
                    "augment=False: the random rescale and colour jitter apply to --target-filter data only; "
                    "paired and unpaired folders are cropped and flipped (turn flips off with --no-flip)"
                )
            return
        if self.family != "pix2pix":
            raise ConfigError(f"--target-filter is for the pix2pix family, not {self.family}")
        if self.target_filter not in TARGET_FILTERS:
            raise ConfigError(f"target_filter {self.target_filter!r}: choose one of {', '.join(TARGET_FILTERS)}")
        if self.data_b or self.styles:
            raise ConfigError(
                f"--target-filter {self.target_filter} computes the targets from --data-a: drop --data-b and --style"
            )
        if not self.data_a:
            object.__setattr__(self, "data_a", ("builtin",))

    def style_entries(self) -> list[tuple[str, str]]:
        """(name, image path) per --style entry; the name defaults to the file's stem."""
        out = []
        for entry in self.styles:
            name, sep, path = entry.partition("=")
            if not sep:
                name, path = Path(entry).stem, entry
            out.append((name.strip(), path))
        return out

    def generator_stride(self) -> int:
        import torch

        from stylelite.models.registry import TEACHERS

        with torch.device("meta"):
            return TEACHERS.get(self.generator)().card.stride


@dataclass(frozen=True)
class TeacherTrainConfig:
    """The built-in cartoon teacher: the pix2pix family on `world` (the data extra's photos and textures,
    less the held-out photos), each target computed from its augmented input crop by the OpenCV cartoon
    filter (stylelite.distill.cartoon).

    The fields are what the shipped run recorded (models/weights/cyclegan_r9_bn_cartoon.config.json);
    `family_config()` pins the rest of the recipe: LSGAN + lambda_l1 * L1, a conditional PatchGAN,
    Adam (0.5, 0.999), a constant learning rate then linear decay to 0 from `decay_from`, PyTorch's
    default initialisation, flips. Held-out PSNR to the filter is logged (`heldout_psnr_db`).
    """

    teacher: str = "cyclegan_r9_bn"
    # run folders written before `data` was recorded trained on ("builtin",): train_teacher_family resumes
    # them so (BUILTIN_V1_DATA)
    data: tuple[str, ...] = ("world",)
    steps: int = 2400
    batch: int = 4
    crop: int = 96
    lr: float = 2e-4
    lambda_l1: float = 100.0
    decay_from: float = 0.5  # linear LR decay to 0 over the last half, as pix2pix
    seed: int = 0
    threads: int = 0  # 0: torch default
    save_every: int = 100
    augment: bool = True
    device: str = "auto"

    def __post_init__(self) -> None:
        object.__setattr__(self, "data", tuple(self.data))  # config.json holds a list
        for name in ("lr", "lambda_l1", "decay_from"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"{name}={value}: use a finite number (--{name.replace('_', '-')})")
        self.family_config()  # the pix2pix config checks every value

    def family_config(self) -> FamilyTrainConfig:
        """The pix2pix config this preset trains with."""
        return FamilyTrainConfig(
            family="pix2pix",
            generator=self.teacher,
            data_a=tuple(self.data),
            target_filter="cartoon",
            augment=self.augment,
            flip=True,
            steps=self.steps,
            batch=self.batch,
            crop=self.crop,
            lr=self.lr,
            beta1=0.5,
            beta2=0.999,
            weight_decay=0.0,
            lr_policy="linear",
            decay_from=self.decay_from,
            weight_init="torch",
            gan_loss="lsgan",
            lambda_gan=1.0,
            lambda_l1=self.lambda_l1,
            seed=self.seed,
            threads=self.threads,
            device=self.device,
            save_every=self.save_every,
            log_every=10,
        )
