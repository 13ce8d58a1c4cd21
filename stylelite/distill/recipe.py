"""The default recipe: what `stylelite distill` chooses when the user names no student.

A user who brings a teacher the toolkit has never seen should not have to know which student, labels,
losses and schedule work for it. The recipe measures the teacher first, on a built-in photo:

- whether it normalises per image: its output on a centre crop against the same region of its output on the
  whole frame (PSNR). Instance-norm style networks and CycleGANs score 12-23 dB, the built-in batch-norm
  teacher 33-45 dB (docs/measurements/teacher_crop_consistency.txt). A per-image teacher gets whole-frame
  labels (`label_view="frame"`) and a student that normalises per image too: one that draws its output
  (`normgen_t_050`) when the teacher repaints the frame (its output far from its input: Magenta's styles
  10.5-11 dB), one that adds to its input (`normres_t_050`) when it grades it (vintagify 23 dB; its labels
  then keep natural colours: a grade learnt from hue-rotated photos comes out as a colour cast), and the
  conditional-norm student (`normgen_styled_t_050`) for a style-conditioned teacher. Any other teacher gets
  region labels and the fastest shipped student shape (`shufflegen_f_050`, a residual on the input);
- what one label costs, and what one training step of the chosen student costs on this machine,

and splits a time budget (60 minutes by default, label store included) between the label store and the
steps. Everything the user gave is kept; the recipe fills only the rest and says what it chose and why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

CONSISTENT_DB = 30.0  # crop-vs-frame PSNR above which a teacher does not normalise per image
# teacher-vs-input PSNR at or above which a per-image teacher grades the frame rather than repainting it
# (vintagify's CycleGAN 23 dB, Magenta's styles 10.5-11 dB, on the probe photos)
GRADE_DB = 18.0
BUDGET_MINUTES = 60.0
LABEL_SHARE = 0.45  # at most this share of the budget goes to labelling
SHARD = 128  # label_store's shard size: label counts are whole shards
MIN_LABELS, MAX_LABELS = 256, 4096
MIN_STEPS, MAX_STEPS = 300, 20000

# What each kind of teacher gets (DistillConfig fields); measured in docs/measurements/real-teachers.md
PER_IMAGE = {"student": "normgen_t_050", "label_view": "frame", "crop": 256, "batch": 4, "lr": 2e-3, "w_ssim": 0.5}
STYLED = "normgen_styled_t_050"  # the student of a style-conditioned teacher
RESIDUAL = "normres_t_050"  # the student of a per-image teacher that grades more than it repaints
CONSISTENT = {"student": "shufflegen_f_050", "label_view": "crop", "crop": 160, "batch": 8, "lr": 2e-3, "w_ssim": 0.5}


@dataclass(frozen=True)
class TeacherProbe:
    """What the recipe measured of a teacher: crop-vs-frame PSNR (dB) and seconds per label at `frame` px."""

    crop_db: float
    label_seconds: float
    frame: int
    styles: int = 0  # a style-conditioned teacher's styles
    input_db: float = 0.0  # the teacher's output against its input (high: a grade; low: a repaint)

    @property
    def grades(self) -> bool:
        return self.input_db >= GRADE_DB

    @property
    def per_image(self) -> bool:
        return self.crop_db < CONSISTENT_DB


@dataclass(frozen=True)
class Recipe:
    """DistillConfig fields the recipe chose (only those the user left unset) and one line per reason."""

    choices: dict
    reasons: tuple[str, ...]


@torch.no_grad()
def probe_teacher(teacher: torch.nn.Module, card, frame: int = 256) -> TeacherProbe:
    """Run `teacher` on a built-in photo at `frame` x `frame` and on its centre half; time the frame."""
    import cv2

    from stylelite.distill.photos import builtin_photos
    from stylelite.models.tensors import to_tensor, to_uint8
    from stylelite.runtime.metrics import psnr

    def run(image: np.ndarray) -> np.ndarray:
        return to_uint8(teacher(to_tensor(image, card.input_range)), card.output_range)[0]

    photo = next(iter(builtin_photos("train").values()))
    h, w = photo.shape[:2]
    side = min(h, w)
    square = photo[(h - side) // 2 : (h + side) // 2, (w - side) // 2 : (w + side) // 2]
    image = np.ascontiguousarray(cv2.resize(square, (frame, frame), interpolation=cv2.INTER_AREA))
    run(image)  # warm-up: first-call allocations are not a label's cost
    start = time.perf_counter()
    whole = run(image)
    seconds = time.perf_counter() - start
    q = frame // 4
    crop = run(np.ascontiguousarray(image[q : frame - q, q : frame - q]))
    crop_db = min(psnr(crop, whole[q : frame - q, q : frame - q]), 99.0)
    return TeacherProbe(crop_db, seconds, frame, len(card.styles), min(psnr(whole, image), 99.0))


def step_seconds(student_name: str, crop: int, batch: int, pairs: int) -> float:
    """Seconds of one forward/backward of the student on a step's images (the batch and the temporal pairs)."""
    from stylelite.models.registry import create_student

    student = create_student(student_name).train()
    x = torch.rand(batch + 2 * pairs, 3, crop, crop) * 2 - 1
    times = []
    for _ in range(3):
        start = time.perf_counter()
        student(x).abs().mean().backward()
        times.append(time.perf_counter() - start)
    return min(times[1:])


def choose(probe: TeacherProbe, given: dict, seconds_per_step, minutes: float, labelled: int = 0) -> Recipe:
    """The recipe for a probed teacher: the kind's settings, then label crops and steps that fit `minutes`.
    `given`: what the user set (kept); `seconds_per_step(student, crop, batch)`; `labelled`: labels already
    in the store (they cost nothing)."""
    kind = PER_IMAGE if probe.per_image else CONSISTENT
    if probe.per_image and probe.grades and not probe.styles:  # keep the input's detail, learn the grade
        kind = {**kind, "student": RESIDUAL, "label_colours": "natural"}  # a grade of photos: labels of photos
    if probe.styles:  # one student for every style and blend: conditional instance norm, as the teacher has
        kind = {**kind, "student": STYLED}
    chosen = {k: v for k, v in kind.items() if k not in given}
    setting = {**kind, **given}
    if "w_feature" not in given:
        chosen["w_feature"] = 0.0  # labels hold outputs only
    verdict = "normalises per image" if probe.per_image else "does not normalise per image"
    sign = "<" if probe.per_image else ">="
    styled = f"; it has {probe.styles} styles, learnt together under random mixes" if probe.styles else ""
    if probe.per_image:
        look = (
            "grades the frame (a student that adds to its input)"
            if probe.grades
            else "repaints the frame (a student that draws)"
        )
        styled += f"; its output is {probe.input_db:.1f} dB from its input: it {look}"
        if setting.get("label_colours") == "natural":
            styled += ", so its labels keep photos' natural colours (no hue rotation)"
    reasons = [
        f"teacher {verdict}: its output on a crop differs from the same region of its output on the frame by "
        f"{probe.crop_db:.1f} dB ({sign} {CONSISTENT_DB:.0f}){styled}",
        f"student {setting['student']}, labels of the {setting['label_view']} view at {setting['crop']} px, "
        f"L1 + {setting['w_ssim']} x (1 - SSIM), batch {setting['batch']}, lr {setting['lr']:g} cosine",
    ]
    budget = minutes * 60.0
    label_cost = probe.label_seconds * (setting["crop"] / probe.frame) ** 2
    if "label_crops" not in given:
        fit = int(LABEL_SHARE * budget / max(label_cost, 1e-6)) + labelled
        chosen["label_crops"] = int(np.clip(fit // SHARD * SHARD, MIN_LABELS, MAX_LABELS))
    crops = chosen.get("label_crops", given.get("label_crops", MAX_LABELS))
    label_time = max(crops - labelled, 0) * label_cost
    per_step = seconds_per_step(setting["student"], setting["crop"], setting["batch"])
    if "steps" not in given:
        fit = int(max(budget - label_time, 0.0) / per_step)
        chosen["steps"] = int(np.clip(fit // 100 * 100, MIN_STEPS, MAX_STEPS))
    steps = chosen.get("steps", given.get("steps"))
    reasons.append(
        f"{crops} labels ({label_cost:.2f} s each, {labelled} already stored: {label_time / 60:.0f} min) + "
        f"{steps} steps (~{per_step:.2f} s each: {steps * per_step / 60:.0f} min) for a {minutes:g}-minute budget"
    )
    reasons.append("options you give replace these choices; --student turns the recipe off")
    return Recipe(chosen, tuple(reasons))


def stored_labels(folder: str | Path | None, crop: int) -> int:
    """Labels already in the store at `folder` for this crop size (0: none, another crop, or no store)."""
    from stylelite.distill.label_store import SPEC_FILE, read_spec, shard_path

    if not folder or not (Path(folder) / SPEC_FILE).is_file():
        return 0
    spec = read_spec(folder)
    if spec.crop != crop:
        return 0
    return sum(spec.shard_crops(i) for i in range(spec.shards) if shard_path(Path(folder), i).is_file())


def stored_colours(folder: str | Path | None) -> str | None:
    """The colour augmentation (augment.COLOURS) an existing store at `folder` was filled with, else None: the
    recipe keeps it rather than choose one the store would refuse."""
    from stylelite.distill.augment import COLOURS, AugmentConfig
    from stylelite.distill.label_store import SPEC_FILE, read_spec

    if not folder or not (Path(folder) / SPEC_FILE).is_file():
        return None
    augment = read_spec(folder).augment
    view = augment.get("view", "crop")
    return next((c for c in COLOURS if AugmentConfig(view=view).with_colours(c).to_dict() == augment), None)


def apply_recipe(given: dict, labels_folder: Path, minutes: float = BUDGET_MINUTES, progress: bool = True) -> dict:
    """`given` (the user's DistillConfig fields, without a student) completed by the recipe; the reasons are
    printed and kept in the config's `recipe`. Every option the user gave is checked before the teacher loads."""
    import sys

    from stylelite.distill.distill_config import DistillConfig
    from stylelite.models.load import load_model

    base = DistillConfig(**{"w_feature": 0.0, **given})  # the user's options fail here, in one line
    if base.threads:
        torch.set_num_threads(base.threads)
    teacher, identity = load_model(
        base.teacher, base.teacher_checkpoint, base.key_map, base.teacher_card,
        trust_graph_code=base.trust_graph_code,
    )  # fmt: skip
    probe = probe_teacher(teacher.eval(), identity.card)
    del teacher
    kind = PER_IMAGE if probe.per_image else CONSISTENT
    labels = given.get("labels") or str(labels_folder)
    crop = given.get("crop", kind["crop"])

    def per_step(student: str, crop: int, batch: int) -> float:
        return step_seconds(student, crop, batch, base.temporal_batch if base.w_temporal else 0)

    kept = stored_colours(labels)  # an existing store's colours stand, as if the user had given them
    given = {"label_colours": kept, **given} if kept else given
    recipe = choose(probe, given, per_step, minutes, stored_labels(labels, crop))
    out = {**recipe.choices, **given, "recipe": recipe.reasons}
    if "labels" not in given:
        out["labels"] = labels
    if progress:
        print("recipe (no --student given):\n  " + "\n  ".join(recipe.reasons), file=sys.stderr, flush=True)
    return out


def with_recipe(given: dict, out: str | Path, minutes: float, progress: bool = True) -> dict:
    """`given` completed by the default recipe (distill/recipe.py); its label store is OUT/labels-TEACHER
    unless `given` names one."""
    from stylelite.distill.distill_config import DistillConfig
    from stylelite.distill.distiller import _teacher_label

    label = _teacher_label(given.get("teacher", DistillConfig.teacher))
    return apply_recipe(given, Path(out) / f"labels-{label}", minutes, progress)


def graph_teacher(given: dict) -> bool:
    """Whether the teacher is an exported graph (a file, or a packaged graph), which has no feature taps."""
    from stylelite.distill.distill_config import DistillConfig
    from stylelite.models.graph_teacher import graph_kind
    from stylelite.models.registry import resolve_packaged

    if given.get("teacher_checkpoint"):
        return False
    teacher = given.get("teacher", DistillConfig.teacher)
    packaged = resolve_packaged(teacher)
    return graph_kind(teacher) is not None or bool(packaged and packaged[0].graph_card)
