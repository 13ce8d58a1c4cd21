"""Frame 20 of each bundled real clip (never trained on), one row per clip: the input, then each model's
output, labelled, at 256 px wide; `cartoon` as a column is the OpenCV cartoon filter (the teacher's target).
Models are registered names, weights files, or `label=model`; `model@STYLE` runs a style-conditioned model
in one of its styles (`normgen_styled_t_050.magenta@style_14`). With --photos the rows are the two held-out
photos instead (distill.photos.HELDOUT_PHOTOS).

    python docs/measurements/clip_frames.py OUT.jpg cartoon teacher=cyclegan_r9_bn.cartoon \
        student=shufflegen_s_050.cartoon
    python docs/measurements/clip_frames.py --photos OUT.png cartoon teacher=cyclegan_r9_bn.cartoon
    python docs/measurements/clip_frames.py OUT.jpg vintagify=cyclegan_r9.vintagify student=normres_t_050.vintagify \
        magenta=multistyle26.magenta.style_14 student=normgen_styled_t_050.magenta@style_14
"""

import sys

import cv2
import numpy as np
import torch

from stylelite.distill.cartoon import cartoonize
from stylelite.distill.photos import builtin_photos
from stylelite.models.load import load_model
from stylelite.models.tensors import run_model
from stylelite.reports.side_by_side import label
from stylelite.runtime.corpus import clip_paths
from stylelite.runtime.video import read_video, write_image


def frame_20(path) -> np.ndarray:
    clip, _ = read_video(path, max_frames=21)
    return clip[20]


def styled(model, style: str):
    """`model` rendering one of its styles through forward (a style-conditioned model's forward_styled)."""
    styles = list(model.card.styles)
    weights = torch.zeros(1, len(styles))
    weights[0, styles.index(style)] = 1.0

    class OneStyle(torch.nn.Module):
        card = model.card

        def forward(self, x):
            return model.forward_styled(x, weights.expand(len(x), -1), torch.ones(len(x)))

    return OneStyle()


def load(model: str):
    name, _, style = model.partition("@")
    net = load_model(name).model.float().eval()
    return styled(net, style) if style else net


def main() -> None:
    torch.set_num_threads(1)
    args = sys.argv[1:]
    photos = args[0] == "--photos"
    out, columns = args[photos], [a.partition("=")[::2] if "=" in a else (a, a) for a in args[photos + 1 :]]
    models = {i: load(model) for i, (_, model) in enumerate(columns) if model != "cartoon"}
    rows = []
    for frame in builtin_photos("heldout").values() if photos else map(frame_20, clip_paths().values()):
        small = cv2.resize(frame, (256, round(frame.shape[0] * 64 / frame.shape[1]) * 4), interpolation=cv2.INTER_AREA)
        with torch.no_grad():
            outs = [
                cartoonize(small) if model == "cartoon" else run_model(models[i], small)
                for i, (_, model) in enumerate(columns)
            ]
        rows.append(np.concatenate([label(small, "input")] + [label(o, n) for (n, _), o in zip(columns, outs)], 1))
    width = max(r.shape[1] for r in rows)
    write_image(out, np.concatenate([np.pad(r, ((0, 4), (0, width - r.shape[1]), (0, 0))) for r in rows], 0))
    print(out)


if __name__ == "__main__":
    main()
