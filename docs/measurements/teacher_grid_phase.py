"""How much of a strided teacher's output depends on where the frame falls on its stride grid, and how much
a student could match if it learned everything else.

teacher_self_agreement.py shifts the frame by 2 pixels. Magenta's network downsamples by 4 (two stride-2
convs), so a 2-px shift also moves the frame against that grid: part of what moves is the teacher's aliasing,
not where it decides to put a stroke. Here, for every style of the teacher and frames of each real clip:

- `shift2` and `shift4`: the frame moved by 2 px (half a step of the grid, as teacher_self_agreement.py moves
  it) and by 4 px, a whole step (outputs compared where both cover, borders left out). A whole step moves
  only the picture: how far the teacher redraws its strokes when the picture moves;
- `phase_avg`: the teacher's output averaged over the 16 grid phases (the frame moved by 0-3 px in x and y,
  the output moved back), against its output on the frame. A student that learned all but the phase-specific
  detail would score this;
- with a student (its .onnx or .tflite export, run as `run --style` runs it): its PSNR to the teacher (`student`) and
  to the phase average (`student_avg`).

    python docs/measurements/teacher_grid_phase.py multistyle26.magenta [--student magenta_student.onnx]
        [--clips real] [--frames 1] [--width 320] [--picture grid_phase.jpg] > OUT.txt
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

from stylelite.models.load import load_model
from stylelite.runtime.engines import load_engine
from stylelite.runtime.metrics import psnr
from stylelite.runtime.style_control import StyleControl

GRID = 4  # the teacher's total stride
BORDER = 12  # pixels left out at every edge: the shifted edge and the padding's reach


def moved(frame: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """The frame moved right by dx and down by dy (edges repeated), same size."""
    h, w = frame.shape[:2]
    return np.ascontiguousarray(np.pad(frame, ((dy, 0), (dx, 0), (0, 0)), mode="edge")[:h, :w])


def moved_back(out: np.ndarray, dx: int, dy: int) -> np.ndarray:
    return np.pad(out[dy:, dx:], ((0, dy), (0, dx), (0, 0)), mode="edge")


def inner(img: np.ndarray) -> np.ndarray:
    return np.clip(img[BORDER:-BORDER, BORDER:-BORDER] + 0.5, 0, 255).astype(np.uint8)


def scores(teacher, student, frame: np.ndarray, style: str, weights: np.ndarray) -> tuple[dict, list[np.ndarray]]:
    """PSNR dB of each kind, and the pictures (input, teacher, phase average[, student])."""
    ref = teacher_output(teacher, frame, weights)
    half_step = moved_back(teacher_output(teacher, moved(frame, GRID // 2, 0), weights), GRID // 2, 0)
    whole_step = moved_back(teacher_output(teacher, moved(frame, GRID, 0), weights), GRID, 0)
    phases = [
        moved_back(teacher_output(teacher, moved(frame, dx, dy), weights), dx, dy).astype(np.float64)
        for dy in range(GRID)
        for dx in range(GRID)
    ]
    average = np.mean(phases, axis=0)
    out = {
        "shift2": psnr(inner(half_step), inner(ref)),
        "shift4": psnr(inner(whole_step), inner(ref)),
        "phase_avg": psnr(inner(average), inner(ref)),
    }
    if student is not None:
        drawn = student.stylize(frame, StyleControl(style=style))
        out["student"] = psnr(inner(drawn), inner(ref))
        out["student_avg"] = psnr(inner(drawn), inner(average))
    pictures = [frame, ref, np.clip(average + 0.5, 0, 255).astype(np.uint8)] + ([drawn] if student else [])
    return out, pictures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("teacher")
    ap.add_argument("--student", help="an exported style-conditioned student (.onnx or .tflite)")
    ap.add_argument("--clips", default="real")
    ap.add_argument("--frames", type=int, default=1)
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--picture", help="write input | teacher | phase average | student, first frame of two clips")
    ap.add_argument("--picture-styles", default="style_03,style_10,style_19")
    a = ap.parse_args()
    torch.set_num_threads(2)
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model_name = next((ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if ln.startswith("Model name")), "?")
    teacher = load_model(a.teacher).model
    student = load_engine(a.student) if a.student else None
    styles = tuple(teacher.card.styles)
    clips = frames(a.clips, a.frames, a.width)
    kinds = ("shift2", "shift4", "phase_avg") + (("student", "student_avg") if student else ())
    print(f"# {a.teacher} on its stride-{GRID} grid, {datetime.date.today()}, {model_name}, {platform.machine()}")
    print(f"# {a.frames} frames of each {a.clips} clip ({', '.join(clips)}) at {a.width} px wide, {BORDER}-px borders "
          "left out; PSNR dB to the teacher's output on the frame")  # fmt: skip
    legend = f"# shift2 / shift4: the frame moved by {GRID // 2} / {GRID} px; phase_avg: the output averaged over "
    legend += f"the {GRID * GRID} grid phases"
    if student:
        legend += f"; student: {a.student}; student_avg: the student against the phase average"
    print(legend)
    print(f"{'style':10s} " + " ".join(f"{k:>11s}" for k in kinds))
    table, rows = [], []
    for i, style in enumerate(styles):
        weights = np.eye(len(styles), dtype=np.float32)[i]
        results = [scores(teacher, student, f, style, weights) for clip in clips.values() for f in clip]
        cells = [r[0] for r in results]
        if style in a.picture_styles.split(","):
            rows += [np.hstack(results[c * a.frames][1]) for c in range(min(2, len(clips)))]
        row = [float(np.mean([c[k] for c in cells])) for k in kinds]
        table.append(row)
        print(f"{style:10s} " + " ".join(f"{v:11.2f}" for v in row), flush=True)
    t = np.array(table)
    print(f"# mean over {len(styles)} styles: " + ", ".join(f"{k} {t[:, j].mean():.2f}" for j, k in enumerate(kinds)))
    worst = int(np.argmin(t[:, 2]))
    print(f"# style the phase average is furthest from: {styles[worst]}: "
          + ", ".join(f"{k} {t[worst, j]:.2f}" for j, k in enumerate(kinds)))  # fmt: skip
    if a.picture and rows:
        cv2.imwrite(a.picture, np.vstack(rows)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 88])


if __name__ == "__main__":
    main()
