"""How a teacher's output on a crop differs from the same region of its output on the whole frame.

For each teacher, each real clip (one middle frame, resized to each deployment width, sides rounded to a
multiple of 4) and each crop size that fits, two crops at seeded random positions (multiples of 4) are
run through the teacher on their own and compared with the same region of the teacher's output on the
whole frame: PSNR in dB (uint8, higher = the crop behaves as on the frame). A normalizing teacher
(instance norm, conditional instance norm) sees other statistics on a crop; a batch-norm teacher does not.
This tells which label size distillation needs at a deployment size.

    python docs/measurements/teacher_crop_consistency.py > docs/measurements/teacher_crop_consistency.txt

Needs the magenta extra, vintagify (pip install --no-deps vintagify==0.1.2), the data extra and Debian's
opencv-doc (the textured clips).
"""

from __future__ import annotations

import datetime
import platform
import subprocess
import sys

import cv2
import numpy as np
import torch

from stylelite.models.load import load_model
from stylelite.models.tensors import to_tensor, to_uint8
from stylelite.runtime.corpus import clip_paths
from stylelite.runtime.metrics import psnr
from stylelite.runtime.video import read_video

TEACHERS = (
    "multistyle26.magenta.style_00",
    "multistyle26.magenta.style_07",
    "multistyle26.magenta.style_13",
    "multistyle26.magenta.style_19",
    "cyclegan_r9.vintagify",
    "cyclegan_r9_bn.cartoon",  # the built-in batch-norm teacher, for comparison
)
WIDTHS = (320, 640)
CROPS = (160, 256, 384)
POSITIONS = 2


def frames() -> dict[str, np.ndarray]:
    clips = {**clip_paths(("foliage", "pedestrians"), clip_set="textured"), **clip_paths(("bikes",))}
    out = {}
    for name, path in clips.items():
        f, _ = read_video(path, 200)
        out[name] = f[len(f) // 2]
    return out


def sized(frame: np.ndarray, width: int) -> np.ndarray:
    h, w = frame.shape[:2]
    height = max(4, round(h * width / w / 4) * 4)
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA if width < w else cv2.INTER_CUBIC)


@torch.no_grad()
def run(model, card, image: np.ndarray) -> np.ndarray:
    return to_uint8(model(to_tensor(image, card.input_range)), card.output_range)[0]


def main() -> None:
    torch.set_num_threads(2)
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model_name = next((ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if ln.startswith("Model name")), "?")
    print(f"# teacher crop consistency, {datetime.date.today()}, {model_name}, {platform.machine()}, torch 2 threads")
    print("# PSNR dB of the teacher on a crop vs the same region of its output on the whole frame")
    print("# (mean of 2 seeded crop positions; '-' = the crop does not fit the frame)")
    print(f"{'teacher':32s} {'clip':12s} {'frame':>9s} " + " ".join(f"{c:>7d}" for c in CROPS))
    clips = frames()
    rng = np.random.default_rng(0)
    for name in TEACHERS:
        model, identity = load_model(name)
        card = identity.card
        for clip, frame in clips.items():
            for width in WIDTHS:
                image = sized(frame, width)
                h, w = image.shape[:2]
                full = run(model, card, image)
                cells = []
                for c in CROPS:
                    if c > min(h, w):
                        cells.append(f"{'-':>7s}")
                        continue
                    scores = []
                    for _ in range(POSITIONS):
                        y = int(rng.integers(0, (h - c) // 4 + 1)) * 4
                        x = int(rng.integers(0, (w - c) // 4 + 1)) * 4
                        crop = run(model, card, np.ascontiguousarray(image[y : y + c, x : x + c]))
                        scores.append(min(psnr(crop, full[y : y + c, x : x + c]), 99.0))
                    cells.append(f"{np.mean(scores):7.1f}")
                print(f"{name:32s} {clip:12s} {w:>4d}x{h:<4d} " + " ".join(cells), flush=True)


if __name__ == "__main__":
    sys.exit(main())
