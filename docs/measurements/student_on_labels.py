"""Does a style-conditioned student fit the labels it was trained on? Scored on a label store of its teacher.

A student that scores on its own training labels what it scores on held-out clips is not short of data; it is
short of capacity or of training. This reads a label store (`stylelite distill ... --labels DIR` fills one), keeps
its crops labelled under one style at full strength, runs the student's export on each crop with that style
picked (as `run --style` does) and prints PSNR dB / SSIM / colour difference to the teacher's label, per style
and averaged (borders of 8 px left out, as the crops' edges are the teacher's padding).

    python docs/measurements/student_on_labels.py magenta_student.onnx labels [--crops 256] > OUT.txt
"""

from __future__ import annotations

import argparse
import datetime
import platform
import subprocess
from collections import defaultdict

import numpy as np

from stylelite.distill.label_store import LabelStore
from stylelite.runtime.engines import load_engine
from stylelite.runtime.metrics import color_difference, psnr, ssim
from stylelite.runtime.style_control import StyleControl

BORDER = 8


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("student", help="the student's .onnx or .tflite export")
    ap.add_argument("labels", help="a label store of the student's teacher")
    ap.add_argument("--crops", type=int, default=256, help="look at the store's first CROPS crops")
    a = ap.parse_args()
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model_name = next((ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if ln.startswith("Model name")), "?")
    store = LabelStore(a.labels)
    if store.conditions is None:
        raise SystemExit(f"{a.labels} holds one-style labels: this script scores a style-conditioned student")
    student = load_engine(a.student)
    styles = student.styles
    if len(styles) != store.spec.styles:
        raise SystemExit(f"{a.student} takes {len(styles)} styles, the store's teacher {store.spec.styles}: "
                         "give a student of this store's teacher")  # fmt: skip
    weights, strength = (c.numpy() for c in store.conditions)
    per_style = defaultdict(list)
    for i in range(min(a.crops, len(store))):
        if strength[i] < 0.999 or weights[i].max() < 0.999:
            continue  # a blend or part strength: the per-style figures are of single styles
        style = styles[int(weights[i].argmax())]
        drawn = student.stylize(store.inputs[i], StyleControl(style=style))
        s, t = (img[BORDER:-BORDER, BORDER:-BORDER] for img in (drawn, store.outputs[i]))
        per_style[style].append((psnr(s, t), ssim(s, t), color_difference(s, t)))
    print(f"# {a.student} on the labels of {a.labels} ({store.spec.teacher}, {store.spec.crop}-px crops of "
          f"{', '.join(store.spec.sources)}), {datetime.date.today()}, {model_name}, {platform.machine()}")  # fmt: skip
    print(f"# the crops among the first {a.crops} labelled under one style at full strength; PSNR dB / SSIM / "
          "colour difference to the teacher's label")  # fmt: skip
    rows = []
    for style in sorted(per_style):
        m = np.mean(per_style[style], axis=0)
        rows.append(m)
        print(f"{style:10s} {len(per_style[style]):3d} crops  {m[0]:6.2f} / {m[1]:.3f} / {m[2]:4.1f}")
    if not rows:
        raise SystemExit("no crop among them is labelled under one style at full strength: give more --crops")
    every = np.array([v for vs in per_style.values() for v in vs])
    by_style = np.mean(rows, axis=0)
    print(f"# {len(every)} crops of {len(rows)} styles: mean over crops {every[:, 0].mean():.2f} dB, "
          f"SSIM {every[:, 1].mean():.3f}, colour difference {every[:, 2].mean():.2f}; mean over styles "
          f"{by_style[0]:.2f} dB, SSIM {by_style[1]:.3f}, colour difference {by_style[2]:.2f}")  # fmt: skip


if __name__ == "__main__":
    main()
