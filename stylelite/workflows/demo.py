"""The demo workflow (`stylelite demo`): the whole job on built-in data, in minutes on a laptop CPU.

shipped cartoon teacher -> distil a student -> export both to ONNX (verified) -> stylize a
built-in camera-motion clip -> benchmark side by side (latency, fps, memory, flicker,
fidelity) -> a real teacher (vintagify's CycleGAN) beside the built-in one -> reports/demo/
(report.md, report.json, plots, side-by-side GIF/MP4, real_teacher.jpg). The student
that ships with stylelite (distilled for an hour from a label store) is benchmarked beside the
one the demo distils in minutes, so both scores sit in one table.
"""

from __future__ import annotations

import time
from pathlib import Path

from stylelite.models.load import weights_metadata
from stylelite.workflows.demo_real_teacher import REAL_TEACHER, real_teacher_step

TEACHER = "cyclegan_r9_bn.cartoon"
SHIPPED_STUDENT = "shufflegen_s_050.cartoon"


def demo(
    out: str | Path = "reports/demo",
    runs: str | Path = "runs",
    student: str = "mobilegen_s_050",
    steps: int = 600,
    frames: int = 40,
    clip_size: tuple[int, int] = (320, 240),
    cache_size: int = 192,
    crop: int = 128,
    latency_size: str = "640x480",
    progress: bool = True,
) -> Path:
    """Run the demo; returns the report.md path. The defaults are the documented demo; tests
    shrink steps, frames, clip_size, cache_size and crop."""
    from stylelite.benchmark.host_bench import bench, format_table
    from stylelite.distill.distiller import distill
    from stylelite.distill.photos import load_photo
    from stylelite.reports.report import write_report
    from stylelite.runtime.stylize import run as stylize
    from stylelite.runtime.synthetic import make_camera_clip
    from stylelite.runtime.video import write_video

    t_start = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    say = print if progress else (lambda *a, **k: None)

    say("[1/6] built-in clip: a camera move over a held-out photo (never seen in training)")
    clip = write_video(out / "clip.mp4", make_camera_clip(load_photo("chelsea"), frames, clip_size), fps=12.0)

    say(f"[2/6] distilling {TEACHER} -> {student} ({steps} steps)")
    t0 = time.perf_counter()
    run = distill(
        TEACHER, student, out=runs, progress=progress, steps=steps, cache_size=cache_size, crop=crop,
        batch=min(8, cache_size),
    )  # fmt: skip
    distill_s = time.perf_counter() - t0

    say(f"[3/6] exporting the teacher, the student and the shipped student ({SHIPPED_STUDENT}) to ONNX (verified)")
    s_exp, t_exp, shipped_exp = _export_all(run / "student.safetensors", clip, out)

    say("[4/6] stylizing the clip with the student through the runtime (no torch on this path)")
    styl = stylize(s_exp.path, clip, out / "stylized.mp4", progress=progress)

    say("[5/6] benchmarking the teacher and both students side by side")
    b = bench(
        [t_exp.path, s_exp.path, shipped_exp.path], clip, reference=t_exp.path, latency_sizes=[latency_size],
        latency_iters=5, min_seconds=4.0, iters=frames, out=out / "bench.jsonl", progress=progress,
    )  # fmt: skip
    say(format_table(b.records))

    say(f"[6/6] a real teacher: {REAL_TEACHER} beside the built-in one")
    real_summary, real_section = real_teacher_step(clip, out, TEACHER, frames=min(frames, 6), say=say)
    timings = {"distill_s": distill_s, "stylize_fps": styl.fps, "wall_s": time.perf_counter() - t_start}
    summary = {**_summary(b, run, student, steps, clip_size, latency_size, timings), **real_summary}
    sections = {**_sections(run, student, s_exp, t_exp, out), **real_section}
    report = write_report(
        out,
        b,
        "stylelite demo: cartoon teacher -> MobileGen student",
        columns={"teacher": str(t_exp.path), "student": str(s_exp.path), "shipped": str(shipped_exp.path)},
        sections=sections,
        summary=summary,
    )
    say(f"\nreport: {report}\n" + "\n".join(f"  {k}: {v}" for k, v in summary.items()))
    return report


def _export_all(student_weights: Path, clip: Path, out: Path):
    """The student, the teacher and the shipped student as verified ONNX files (real clip frames among the
    verification frames)."""
    from stylelite.export.api import export_model
    from stylelite.runtime.video import read_video

    real = read_video(clip, max_frames=2)[0]
    s_exp = export_model(str(student_weights), out / "student.onnx", verify_frames=real)
    t_exp = export_model(TEACHER, out / "teacher.onnx", verify_frames=real[:1])
    shipped_exp = export_model(SHIPPED_STUDENT, out / "shipped_student.onnx", verify_frames=real)
    return s_exp, t_exp, shipped_exp


def _summary(b, run: Path, student: str, steps: int, clip_size, latency_size: str, timings: dict) -> dict:
    """The report's summary lines, all measured in this run."""
    from stylelite.distill.holdout import holdout_fidelity
    from stylelite.models.registry import PRETRAINED

    t_rec, s_rec, shipped_rec = b.records
    teacher_meta = weights_metadata(PRETRAINED[TEACHER][0])
    fid = holdout_fidelity(run)
    return {
        "teacher": f"{TEACHER} ({t_rec.params:,} params, {t_rec.gmacs_256:.1f} GMAC at 256x256)",
        "student": f"{student} ({s_rec.params:,} params, {s_rec.gmacs_256:.2f} GMAC at 256x256)",
        "MACs ratio (teacher/student)": f"{t_rec.gmacs_256 / s_rec.gmacs_256:.0f}x",
        f"speed-up at {clip_size[0]}x{clip_size[1]} (measured, same run)": _speedup(t_rec.latency_ms, s_rec.latency_ms),
        f"speed-up at {latency_size} (measured, same run)": _speedup(
            t_rec.extra_latency[latency_size], s_rec.extra_latency[latency_size]
        ),
        "flicker (warping error)": (
            f"input floor {b.flicker_floor:.5f}, teacher {t_rec.flicker:.5f}, student {s_rec.flicker:.5f}"
        ),
        "student fidelity to teacher (clip)": f"PSNR {s_rec.fidelity_psnr_db:.2f} dB, SSIM {s_rec.fidelity_ssim:.3f}",
        f"shipped student {SHIPPED_STUDENT} fidelity to teacher (clip)": (
            f"PSNR {shipped_rec.fidelity_psnr_db:.2f} dB, SSIM {shipped_rec.fidelity_ssim:.3f}, "
            f"{1000.0 / shipped_rec.latency_ms['mean']:.1f} FPS at {clip_size[0]}x{clip_size[1]}"
        ),
        "student fidelity to teacher (held-out photos, 256 px)": f"PSNR {fid:.2f} dB",
        "teacher fidelity to the cartoon target (held-out photos)": (
            f"{teacher_meta.get('heldout_psnr_db', '?')} dB trained vs "
            f"{teacher_meta.get('untrained_heldout_psnr_db', '?')} dB untrained"
        ),
        "distillation time": f"{timings['distill_s']:.0f} s ({steps} steps)",
        "end-to-end runtime stylize of the clip": f"{timings['stylize_fps']:.1f} frames/s (decode + infer + encode)",
        "demo wall time": f"{timings['wall_s']:.0f} s",
    }


def _sections(run: Path, student: str, s_exp, t_exp, out: Path) -> dict[str, str]:
    """The report's prose sections and training plots (drawn into `out`)."""
    from stylelite.models.registry import PRETRAINED
    from stylelite.reports.plots import plot_training
    from stylelite.runtime.files import read_jsonl

    sections = {
        "How this was made": (
            f"- Teacher: `{TEACHER}`, the CycleGAN ResNet-9 generator shipped with stylelite, trained with "
            "`stylelite train-teacher` (pix2pix objective: LSGAN + 100 x L1, PatchGAN 70x70) on the data "
            "extra's real photos and textures to reproduce the OpenCV cartoon filter in `distill/cartoon.py`.\n"
            f"- Student: `{student}`, distilled in run folder `{run}` with pixel (L1), feature (1x1-conv "
            "adapters onto the teacher's encoder and residual taps) and temporal-consistency losses "
            "(synthetic camera-motion pairs with exact flow, occlusion-masked).\n"
            f"- Shipped student: `{SHIPPED_STUDENT}` (models/weights/; its card, config, log and the command "
            "that made it sit beside it), distilled for an hour from a label store of augmented crops of the "
            "bundled photos: what the demo's minutes-long student grows into.\n"
            "- Both exported to ONNX (fp32, dynamic H/W, metadata embedded) and verified against PyTorch: "
            f"student PSNR {s_exp.verification.psnr_db:.1f} dB, teacher {t_exp.verification.psnr_db:.1f} dB.\n"
            "- Benchmark: onnxruntime on this CPU, the two models one after the other on the same frames.\n"
            "- Reproduce: `stylelite demo`; or step by step: `stylelite distill`, `stylelite export`, "
            "`stylelite run`, `stylelite bench` (see the README)."
        ),
    }
    losses = ["pixel", "feature", "temporal"]
    plot_training(read_jsonl(run / "log.jsonl"), losses, out / "distill_losses.png", f"Distillation of {student}")
    sections["Distillation losses"] = "![distillation losses](distill_losses.png)"
    teacher_log = PRETRAINED[TEACHER][0].with_name("cyclegan_r9_bn_cartoon.log.jsonl")
    if teacher_log.exists():
        plot_training(
            read_jsonl(teacher_log),
            ["loss_l1", "loss_gan", "loss_d"],
            out / "teacher_training.png",
            "Built-in teacher training (pix2pix objective)",
        )
        sections["Built-in teacher training"] = "![teacher training](teacher_training.png)"
    return sections


def _speedup(teacher_lat: dict, student_lat: dict) -> str:
    """'12.3x (1.2 -> 14.8 FPS)' from two latency dicts (mean ms) measured in the same run."""
    t_fps, s_fps = 1000.0 / teacher_lat["mean"], 1000.0 / student_lat["mean"]
    return f"{teacher_lat['mean'] / student_lat['mean']:.1f}x ({t_fps:.1f} -> {s_fps:.1f} FPS)"
