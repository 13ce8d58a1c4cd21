"""Does running a student at a smaller process size and scaling its output back keep the fidelity at 1280x720?

Frames of a 1280x720 clip go through the teacher at full size (torch) and through the student's ONNX export
(onnxruntime): at 1280x720, and at smaller process sizes with the output scaled back bilinearly (as `stylelite
run --process-size` does) or by a guided upsampling (a fast guided filter: per-window linear maps from the small
input to the small output, applied to the full-size input). PSNR dB / SSIM / colour difference to the teacher.

    python docs/measurements/hd_process_size.py STUDENT.onnx cyclegan_r9_bn.cartoon [--clip bigbuckbunny] [--frames 3]
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np
import torch

from stylelite.models.load import load_model
from stylelite.models.tensors import run_model
from stylelite.runtime.corpus import clip_paths
from stylelite.runtime.engines import load_engine
from stylelite.runtime.metrics import color_difference, psnr, ssim
from stylelite.runtime.video import read_video

SIZES = ((960, 544), (640, 360))


def box(x: np.ndarray, r: int) -> np.ndarray:
    return cv2.blur(x, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)


def guided_up(full: np.ndarray, small_in: np.ndarray, small_out: np.ndarray, r: int = 2, eps: float = 1e-3):
    """The small output as per-window linear maps of the small input (per channel), applied at full size."""
    i, p = small_in.astype(np.float32) / 255, small_out.astype(np.float32) / 255
    mi, mp = box(i, r), box(p, r)
    a = (box(i * p, r) - mi * mp) / (box(i * i, r) - mi * mi + eps)
    b = mp - a * mi
    h, w = full.shape[:2]
    a, b = (cv2.resize(box(v, r), (w, h), interpolation=cv2.INTER_LINEAR) for v in (a, b))
    return np.clip((a * full.astype(np.float32) / 255 + b) * 255 + 0.5, 0, 255).astype(np.uint8)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("student")
    ap.add_argument("teacher")
    ap.add_argument("--clip", default="bigbuckbunny")
    ap.add_argument("--frames", type=int, default=3)
    a = ap.parse_args()
    torch.set_num_threads(2)
    video, _ = read_video(clip_paths((a.clip,))[a.clip], 40)
    frames = [f for f in video[:: max(1, len(video) // a.frames)][: a.frames]]
    h, w = frames[0].shape[:2]
    student, teacher = load_engine(a.student), load_model(a.teacher).model.eval()
    scores: dict[str, list] = {}
    for frame in frames:
        with torch.no_grad():
            ref = run_model(teacher, frame)
        outs = {f"{w}x{h}": student.stylize(frame)}
        for sw, sh in SIZES:
            small = cv2.resize(frame, (sw, sh), interpolation=cv2.INTER_AREA)
            styled = student.stylize(small)
            outs[f"{sw}x{sh}, bilinear back"] = cv2.resize(styled, (w, h), interpolation=cv2.INTER_LINEAR)
            outs[f"{sw}x{sh}, guided back"] = guided_up(frame, small, styled)
        for name, out in outs.items():
            scores.setdefault(name, []).append((psnr(out, ref), ssim(out, ref), color_difference(out, ref)))
    print(f"# {a.student} vs {a.teacher} at {w}x{h}, {len(frames)} frames of {a.clip}")
    for name, rows in scores.items():
        m = np.mean(rows, axis=0)
        print(f"{name:28s} {m[0]:6.2f} dB / {m[1]:.3f} / {m[2]:.2f}")


if __name__ == "__main__":
    main()
