"""Why vintagify's per-frame grade is hard for a student: four measurements.

`vintagify_grade.py` showed that the teacher is a grain plus a colour matrix chosen per frame, and that the
shipped student applies about one fixed matrix. This script asks where that limit comes from:

1. `self`: is the teacher's grade stable? The teacher on each held-out frame and on the frame after three
   changes a viewer would not see (JPEG at quality 95, noise of one grey level, a 2-px shift; 8-px borders
   left out). PSNR dB of the outputs, and of the frame under the two fitted grades (how far the grade moves);
   a frame whose two outputs are identical (the film's black frames under JPEG) is left out of the mean.
2. `thumbnail`: can the grade be read from the teacher run on a small copy of the frame? The matrix fitted to
   the teacher's output on a thumbnail, applied to the whole frame, against the teacher on the whole frame.
3. `training crops`: does the shipped student follow the grade on the photos it was trained on? Random 4:3
   crops of the training photos in natural colours, as its label store drew them.
4. `probe`: is the grade a linear function of the teacher's own instance-norm statistics (the inputs of its
   first five norms: mean and deviation per channel)? Ridge regression, strength chosen by cross-validation,
   folds by photo (never by crop); scored as PSNR of the predicted grade on crops of held-out photos.
5. `fit`: can the student with a global grade path (`normgrade_t_050`) learn the grade from these crops when
   the labels are the grade alone (each crop under its own fitted matrix: no grain, nothing local)? Trained
   on the crops of four folds of photos (L1, Adam 2e-3 cosine, batch 4), scored against the teacher on the
   training crops, on the crops of the held-out photos and on the held-out clips' frames at 256x192.

    python docs/measurements/vintagify_grade_limits.py [--crops 300] [--frames 29] [--step 4] [--size 320x240]
        [--fit-steps 3000] [--threads 2] > OUT.txt
"""

from __future__ import annotations

import argparse
import datetime
import platform
import subprocess

import cv2
import numpy as np
import torch
from teacher_self_agreement import SHIFT, changes  # same folder
from vintagify_grade import FOLDS, fit_grade, graded, ridge, training_frames

from stylelite.models.load import load_model
from stylelite.models.registry import create_student
from stylelite.models.tensors import run_model
from stylelite.runtime.corpus import clip_paths
from stylelite.runtime.errors import ConfigError
from stylelite.runtime.frame_size import parse_size
from stylelite.runtime.metrics import color_difference, psnr
from stylelite.runtime.video import read_video

BORDER = 8  # columns left out beside the shifted edge, as teacher_self_agreement does
THUMBNAILS = (64, 128, 160)  # thumbnail widths (4:3, sides multiples of 4)
PROBE_NORMS = 5
ALPHAS = (10.0, 100.0, 1000.0)


class NormTap:
    """The teacher with hooks on its first PROBE_NORMS instance norms: run() returns (output, statistics)."""

    def __init__(self, teacher: torch.nn.Module) -> None:
        self.teacher, self.stats = teacher, []
        norms = [m for m in teacher.modules() if isinstance(m, torch.nn.InstanceNorm2d)][:PROBE_NORMS]
        for m in norms:
            m.register_forward_hook(self._keep)

    def _keep(self, module, inputs, output) -> None:
        x = inputs[0]
        self.stats.append(torch.cat([x.mean((2, 3)), x.std((2, 3))], 1)[0].numpy())

    def run(self, img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self.stats = []
        out = run_model(self.teacher, img)
        return out, np.concatenate(self.stats)


def clip_frames(frames: int, step: int, width: int, height: int) -> dict[str, list[np.ndarray]]:
    out = {}
    for clip_set in ("real", "textured"):
        for name, path in clip_paths(clip_set=clip_set).items():
            fr = read_video(path, frames)[0][::step]
            out[name] = [cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in fr]
    return out


def self_agreement(tap: NormTap, clips: dict[str, list[np.ndarray]]) -> None:
    print("## 1. the teacher against itself: PSNR dB of the output / of the frame under the fitted grade")
    kinds = ("jpeg95", "noise1", "shift2")
    print(f"{'clip':13s} " + " ".join(f"{k:>16s}" for k in kinds))
    rng = np.random.default_rng(0)
    for name, frames in clips.items():
        rows = []
        for f in frames:
            ref = tap.run(f)[0]
            grade = fit_grade([f], [ref])
            row = []
            for kind, g in changes(f, rng).items():
                out = tap.run(g)[0]
                moved = graded(f, fit_grade([g], [out]))
                if kind == "shift2":  # out[:, x + SHIFT] renders f[:, x]
                    out, cut = out[:, SHIFT + BORDER :], ref[:, BORDER : ref.shape[1] - SHIFT]
                else:
                    cut = ref
                row += [psnr(out, cut), psnr(moved, graded(f, grade))]
            rows.append(row)
        r = np.array(rows)
        m = np.nanmean(np.where(np.isinf(r), np.nan, r), 0)  # identical outputs (a black frame) left out
        print(f"{name:13s} " + " ".join(f"{m[i]:7.2f} / {m[i + 1]:6.2f}" for i in range(0, len(m), 2)), flush=True)


def thumbnails(tap: NormTap, clips: dict[str, list[np.ndarray]]) -> None:
    print("## 2. the grade read from the teacher on a thumbnail: PSNR dB / colour difference to the teacher")
    heads = ["frame's own"] + [f"{w}x{w * 3 // 4}" for w in THUMBNAILS]
    print(f"{'clip':13s} " + " ".join(f"{h:>14s}" for h in heads))
    for name, frames in clips.items():
        rows = []
        for f in frames:
            ref = tap.run(f)[0]
            grades = [fit_grade([f], [ref])]
            for w in THUMBNAILS:
                small = cv2.resize(f, (w, w * 3 // 4), interpolation=cv2.INTER_AREA)
                grades.append(fit_grade([small], [tap.run(small)[0]]))
            rows.append([(psnr(graded(f, g), ref), color_difference(graded(f, g), ref)) for g in grades])
        m = np.mean(rows, 0)
        print(f"{name:13s} " + " ".join(f"{p:8.2f} / {d:4.1f}" for p, d in m), flush=True)


def training_crops(tap: NormTap, student: torch.nn.Module, n: int):
    """Parts 3 and 4; returns (crops, teacher labels, photo index of each crop) for part 5."""
    crops, owners = training_frames(n, seed=5)
    labels, stats = zip(*[tap.run(c) for c in crops])
    grades = np.array([fit_grade([c], [t]).ravel() for c, t in zip(crops, labels)])
    mean = grades.mean(0).reshape(4, 3)
    photos = len(set(owners))
    print(f"## 3. the shipped student on {n} crops of the {photos} training photos: PSNR dB / colour difference")
    kinds = ("input", "student", "mean grade", "crop's own grade", "student's fitted grade")
    rows = []
    for c, t, g in zip(crops, labels, grades):
        s = run_model(student, c)
        cands = (c, s, graded(c, mean), graded(c, g.reshape(4, 3)), graded(c, fit_grade([c], [s])))
        rows.append([(psnr(x, t), color_difference(x, t)) for x in cands])
    m = np.mean(rows, 0)
    for kind, (p, d) in zip(kinds, m):
        print(f"{kind:24s} {p:6.2f} / {d:4.1f}")

    print(f"## 4. the grade predicted from the teacher's first {PROBE_NORMS} instance-norm statistics (ridge, "
          f"{FOLDS} folds by photo): PSNR dB on crops of the held-out fold")  # fmt: skip
    z, owners = np.array(stats, dtype=np.float64), np.array(owners)
    folds = owners % FOLDS
    for alpha in ALPHAS:
        scores = []
        for k in range(FOLDS):
            tr, te = folds != k, folds == k
            mu, sd, g0 = z[tr].mean(0), z[tr].std(0) + 1e-6, grades[tr].mean(0)
            w = ridge((z[tr] - mu) / sd, grades[tr] - g0, alpha)
            pred = ((z[te] - mu) / sd) @ w + g0
            idx = np.where(te)[0]
            scores += [psnr(graded(crops[i], p.reshape(4, 3)), labels[i]) for i, p in zip(idx, pred)]
        print(f"alpha {alpha:6g}: {np.mean(scores):6.2f}")
    mean_scores = []
    for k in range(FOLDS):  # the same folds, the mean grade of the training folds
        g0 = grades[folds != k].mean(0).reshape(4, 3)
        mean_scores += [psnr(graded(crops[i], g0), labels[i]) for i in np.where(folds == k)[0]]
    print(f"mean grade of the training folds: {np.mean(mean_scores):6.2f}")
    return crops, labels, owners


def tensor(imgs) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(np.array(imgs))).permute(0, 3, 1, 2).float() / 127.5 - 1


def fit_student(teacher, crops, labels, owners, clips: dict[str, list[np.ndarray]], steps: int) -> None:
    print(f"## 5. normgrade_t_050 trained {steps} steps on grade-only labels: PSNR dB to the teacher")
    targets = [graded(c, fit_grade([c], [t])) for c, t in zip(crops, labels)]
    train = np.where(owners % FOLDS != 0)[0]
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = create_student("normgrade_t_050")
    opt = torch.optim.Adam(model.parameters(), 2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    with torch.enable_grad():
        for _ in range(steps):
            b = rng.choice(train, 4)
            loss = torch.nn.functional.l1_loss(model(tensor([crops[i] for i in b])), tensor([targets[i] for i in b]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    model.eval()
    held = np.where(owners % FOLDS == 0)[0]

    def score(outputs, refs) -> float:
        return float(np.mean([psnr(o, r) for o, r in zip(outputs, refs)]))

    def of_student(images) -> list[np.ndarray]:
        return [run_model(model, im) for im in images]

    pick = lambda items, idx: [items[i] for i in idx]  # noqa: E731
    print(f"{'':24s} {'training photos':>16s} {'held-out photos':>16s}")
    print(f"{'student':24s} {score(of_student(pick(crops, train)), pick(labels, train)):16.2f} "
          f"{score(of_student(pick(crops, held)), pick(labels, held)):16.2f}")  # fmt: skip
    print(f"{'own grade (its labels)':24s} {score(pick(targets, train), pick(labels, train)):16.2f} "
          f"{score(pick(targets, held), pick(labels, held)):16.2f}")  # fmt: skip
    cells = []
    for name, frames in clips.items():
        small = [cv2.resize(f, (256, 192), interpolation=cv2.INTER_AREA) for f in frames]
        cells.append(f"{name} {score(of_student(small), [run_model(teacher, f) for f in small]):.2f}")
    print("held-out clips at 256x192: " + ", ".join(cells))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--crops", type=int, default=300, help="training crops labelled for parts 3 and 4")
    ap.add_argument("--frames", type=int, default=29, help="frames of each clip read (the first N)")
    ap.add_argument("--step", type=int, default=4, help="score every STEP-th of them")
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--fit-steps", type=int, default=3000, help="part 5's training steps (0: leave it out)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    if a.crops < 2 * FOLDS or a.frames < 1 or a.step < 1:
        ap.error(f"give --crops >= {2 * FOLDS}, --frames and --step >= 1")
    try:
        width, height = parse_size(a.size)
    except ConfigError as exc:
        ap.error(str(exc))
    torch.set_num_threads(a.threads)
    torch.set_grad_enabled(False)
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model_name = next((ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if ln.startswith("Model name")), "?")
    tap = NormTap(load_model("cyclegan_r9.vintagify").model.eval())
    student = load_model("normres_t_050.vintagify").model.eval()
    clips = clip_frames(a.frames, a.step, width, height)
    print(f"# vintagify's grade: its limits, {datetime.date.today()}, {model_name}, {platform.machine()}")
    print(f"# held-out clips: frames 0..{a.frames - 1} step {a.step} at {width}x{height}")
    self_agreement(tap, clips)
    thumbnails(tap, clips)
    crops, labels, owners = training_crops(tap, student, a.crops)
    if a.fit_steps > 0:
        fit_student(tap.teacher, crops, labels, owners, clips, a.fit_steps)


if __name__ == "__main__":
    main()
