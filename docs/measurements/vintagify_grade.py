"""What vintagify's CycleGAN does to a frame, and how much of it any student can follow.

The teacher (`cyclegan_r9.vintagify`) adds a film grain and re-grades the colours of the whole frame. This
script separates the two on held-out clip frames (resized to WIDTHxHEIGHT as `bench --process-size` does),
scoring each candidate against the teacher on the whole frame (PSNR dB / colour difference dE):

- `input`: the frame itself; `student`: the shipped `normres_t_050.vintagify`;
- `mean grade`: one 3x4 colour matrix (RGB gain and offset) for every frame, fitted to teacher labels of
  training frames (random 4:3 crops, 35-100 % of the short side, of `--data world` and `--data opencv-photos`
  in natural colours);
- `predicted grade`: a matrix per frame predicted from the frame by ridge regression on frozen VGG-19
  features of a 32-px thumbnail (relu3_1, mean and max pooled), its strength chosen by cross-validation over
  the training photos (folds by photo, never by crop);
- `frame's own grade`: the matrix fitted to the teacher's output on that very frame (an oracle: what a
  perfect per-frame grade would score; the rest is the grain and local changes);
- `one grade per clip`: one matrix fitted to the teacher's outputs on all sampled frames of the clip (an
  oracle for a student whose grade does not jump from frame to frame);
- `jump`: mean change of the mean colour (grey levels, over R, G, B) between consecutive sampled frames, of
  the teacher's output and of the input.

    python docs/measurements/vintagify_grade.py [--contexts 400] [--frames 29] [--step 4] [--size 320x240]
        [--sets real,textured] [--picture OUT.jpg] > OUT.txt

--picture writes input | teacher | student | the frame's own matrix side by side for the first two sampled
frames of bikes (where the teacher's grade jumps) and the first of every other clip.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from stylelite.distill.augment import AugmentConfig, colour
from stylelite.distill.label_store import world_sources
from stylelite.distill.vgg19 import load_vgg19
from stylelite.models.load import load_model
from stylelite.models.tensors import run_model
from stylelite.runtime.corpus import clip_paths, opencv_photo_paths
from stylelite.runtime.errors import ConfigError
from stylelite.runtime.frame_size import parse_size
from stylelite.runtime.metrics import color_difference, psnr
from stylelite.runtime.video import read_image, read_video

ALPHAS = (1.0, 10.0, 100.0, 1000.0)
FOLDS = 5


def design(img: np.ndarray) -> np.ndarray:
    x = img.reshape(-1, 3).astype(np.float64) / 255.0
    return np.concatenate([x, np.ones((len(x), 1))], 1)


def fit_grade(inputs: list[np.ndarray], outputs: list[np.ndarray]) -> np.ndarray:
    """The 4x3 matrix (3x3 gain, offset) taking `inputs` closest to `outputs` (least squares over all pixels)."""
    a = np.concatenate([design(f) for f in inputs])
    b = np.concatenate([t.reshape(-1, 3).astype(np.float64) / 255.0 for t in outputs])
    return np.linalg.lstsq(a, b, rcond=None)[0]


def graded(img: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return (np.clip(design(img) @ matrix, 0, 1).reshape(img.shape) * 255 + 0.5).astype(np.uint8)


def training_frames(n: int, seed: int = 0) -> tuple[list[np.ndarray], list[int]]:
    """n random 4:3 crops (256x192) of the training photos in natural colours, and each crop's photo index."""
    photos = [im for im in world_sources().values() if im.ndim == 3 and np.ptp(im.astype(int), axis=-1).max() > 2]
    photos += [read_image(p) for p in opencv_photo_paths().values()]
    rng, cfg = np.random.default_rng(seed), AugmentConfig().with_colours("natural")
    crops, owners = [], []
    for _ in range(n):
        k = int(rng.integers(len(photos)))
        img = photos[k]
        h, w = img.shape[:2]
        ch = int(min(h, w * 3 / 4) * rng.uniform(0.35, 1.0))
        cw = int(ch * 4 / 3)
        y, x = rng.integers(h - ch + 1), rng.integers(w - cw + 1)
        crop = cv2.resize(img[y : y + ch, x : x + cw], (256, 192), interpolation=cv2.INTER_AREA)
        if rng.random() < 0.5:
            crop = np.ascontiguousarray(crop[:, ::-1])
        crops.append(colour(crop, rng, cfg))
        owners.append(k)
    return crops, owners


def vgg_features(vgg: torch.nn.Module, imgs: list[np.ndarray]) -> np.ndarray:
    out = []
    for img in imgs:
        x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 127.5 - 1
        c = vgg(F.interpolate(x, size=(32, 32), mode="area"), ("relu3_1",))["relu3_1"]
        out.append(torch.cat([c.mean((2, 3)), c.amax((2, 3))], 1)[0].numpy())
    return np.array(out, dtype=np.float64)


def ridge(z: np.ndarray, t: np.ndarray, alpha: float) -> np.ndarray:
    return np.linalg.solve(z.T @ z + alpha * len(z) / 100 * np.eye(z.shape[1]), z.T @ t)


def grade_predictor(feats: np.ndarray, grades: np.ndarray, owners: np.ndarray):
    """Ridge from standardized features to the grade (less the mean grade), alpha by cross-validation over
    photos; returns (predict(features) -> grades, alpha, cross-validated error per alpha)."""
    mu, sd, mean = feats.mean(0), feats.std(0) + 1e-6, grades.mean(0)
    z, t = (feats - mu) / sd, grades - mean
    folds = owners % FOLDS
    errors = {}
    for alpha in ALPHAS:
        err = 0.0
        for k in range(FOLDS):
            w = ridge(z[folds != k], t[folds != k], alpha)
            err += float(((z[folds == k] @ w - t[folds == k]) ** 2).sum())
        errors[alpha] = err / len(z)
    alpha = min(errors, key=errors.get)
    w = ridge(z, t, alpha)
    return (lambda f: ((f - mu) / sd) @ w + mean), alpha, errors


def mean_jump(frames: list[np.ndarray]) -> float:
    """Mean change of the mean colour (grey levels, averaged over R, G, B) between consecutive frames."""
    means = np.array([f.reshape(-1, 3).mean(0) for f in frames])
    return float(np.abs(np.diff(means, axis=0)).mean()) if len(frames) > 1 else 0.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--contexts", type=int, default=400, help="training frames labelled for the grades")
    ap.add_argument("--frames", type=int, default=29, help="frames of each clip read (the first N)")
    ap.add_argument("--step", type=int, default=4, help="score every STEP-th of them")
    ap.add_argument("--size", default="320x240")
    ap.add_argument("--sets", default="real,textured", help="clip sets scored (bench --clip names)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--picture", default="", help="write side-by-side frames to this JPEG")
    a = ap.parse_args()
    if a.contexts < FOLDS or a.frames < 1 or a.step < 1:
        ap.error(f"give --contexts >= {FOLDS} (the cross-validation folds), --frames and --step >= 1")
    torch.set_num_threads(a.threads)
    torch.set_grad_enabled(False)
    try:
        width, height = parse_size(a.size)
    except ConfigError as exc:
        ap.error(str(exc))
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model_name = next((ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if ln.startswith("Model name")), "?")
    teacher = load_model("cyclegan_r9.vintagify").model.eval()
    student = load_model("normres_t_050.vintagify").model.eval()
    vgg = load_vgg19().eval()

    crops, owners = training_frames(a.contexts)
    labels = [run_model(teacher, c) for c in crops]
    grades = np.array([fit_grade([c], [t]).ravel() for c, t in zip(crops, labels)])
    predict, alpha, errors = grade_predictor(vgg_features(vgg, crops), grades, np.array(owners))
    mean_grade = grades.mean(0).reshape(4, 3)

    print(f"# vintagify's grade, {datetime.date.today()}, {model_name}, {platform.machine()}")
    print(f"# {a.contexts} training frames (256x192 crops of {len(set(owners))} photos); held-out clips: frames")
    print(f"# 0..{a.frames - 1} step {a.step} at {width}x{height}; PSNR dB / colour difference to the teacher")
    print(f"# predicted grade: ridge alpha {alpha:g} (cross-validated squared error by alpha: "
          + ", ".join(f"{k:g}: {v:.4f}" for k, v in errors.items()) + ")")  # fmt: skip
    print(f"# mean grade (rows R, G, B gains then offset, columns out R, G, B):\n# {mean_grade.round(3).tolist()}")
    rows_out = []  # picture rows: input | teacher | student | the frame's own matrix
    kinds = ("input", "student", "mean grade", "predicted grade", "frame's own grade", "one grade per clip")
    print(f"{'clip':13s} " + " ".join(f"{k:>18s}" for k in kinds) + f" {'jump teacher/input':>19s}")
    for clip_set in a.sets.split(","):
        for name, path in clip_paths(clip_set=clip_set).items():
            frames = read_video(path, a.frames)[0][:: a.step]
            frames = [cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in frames]
            outs = [run_model(teacher, f) for f in frames]
            shot = fit_grade(frames, outs)
            predicted = predict(vgg_features(vgg, frames))
            rows = []
            for k, (f, t, p) in enumerate(zip(frames, outs, predicted)):
                cands = (f, run_model(student, f), graded(f, mean_grade), graded(f, p.reshape(4, 3)),
                         graded(f, fit_grade([f], [t])), graded(f, shot))  # fmt: skip
                rows.append([(psnr(c, t), color_difference(c, t)) for c in cands])
                if k < (2 if name == "bikes" else 1):
                    rows_out.append(np.hstack([f, t, cands[1], cands[4]]))
            m = np.mean(rows, axis=0)
            cells = " ".join(f"{p:>11.2f} / {d:4.1f}" for p, d in m)
            print(f"{name:13s} {cells} {mean_jump(outs):>9.1f} / {mean_jump(frames):.1f}", flush=True)
    if a.picture and rows_out:
        ok, jpeg = cv2.imencode(".jpg", np.vstack(rows_out)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88])
        if not ok:
            raise SystemExit(f"could not encode {a.picture}")
        tmp = f"{a.picture}.tmp"
        with open(tmp, "wb") as fh:
            fh.write(jpeg.tobytes())
        os.replace(tmp, a.picture)


if __name__ == "__main__":
    main()
