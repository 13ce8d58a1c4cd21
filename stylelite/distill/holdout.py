"""The held-out score of a distillation run: its student against its teacher on photos no run trains on."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from stylelite.distill.run_dir import read_run_config


def holdout_fidelity(run: str | Path) -> float:
    """Mean PSNR (dB) of a distilled student to its teacher on the held-out photos at 256 px."""
    import cv2

    from stylelite.distill.photos import builtin_photos
    from stylelite.models.load import load_model
    from stylelite.models.tensors import run_model
    from stylelite.runtime.metrics import psnr

    cfg = read_run_config(run, "distill")
    io = (tuple(cfg.get("key_map", ())), tuple(cfg.get("teacher_card", ())))
    trusted = bool(cfg.get("trust_graph_code", False))  # the run's own choice for a TorchScript/.pt2 teacher
    teacher = load_model(cfg["teacher"], cfg.get("teacher_checkpoint"), *io, trust_graph_code=trusted).model
    student = load_model(str(Path(run) / "student.safetensors")).model
    scores = []
    for photo in builtin_photos("heldout").values():
        h, w = photo.shape[:2]
        s = 256 / max(h, w)
        small = cv2.resize(photo, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
        scores.append(psnr(run_model(student, small), run_model(teacher, small)))
    return float(np.mean(scores))
