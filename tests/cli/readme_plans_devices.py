"""The plans of the commands on devices, reports and budgets (README and docs), for tests/cli/test_readme_commands.py
(through tests/cli/readme_plans.py)."""

from __future__ import annotations

import subprocess
import sys

from tests.cli.plan_kit import BENCH_JETSON, EXPORT_FASTEST, MEASUREMENTS, TINY_CROPS, WEIGHTS, Plan, parse_only, run


def _tiny_magenta_store(ws) -> str:
    """A Magenta label store of 16 crops of 32 px (each under its own condition), made once per session."""
    folder = ws.root / "tiny_magenta_labels"
    if not (folder / "store.json").exists():
        argv = [sys.executable, "-m", "stylelite", "distill", "--teacher", "multistyle26.magenta", "--student",
                "normgen_styled_t_050", "--data", "world", "--labels", str(folder), "--label-view", "frame",
                "--crop", "32", "--label-crops", "16", "--steps", "1", "--batch", "1",
                "-o", str(ws.root / "runs_tiny")]  # fmt: skip
        subprocess.run(argv, check=True, capture_output=True, timeout=600)
    return str(folder)


DEVICE_PLANS: dict[str, Plan] = {
    # ---- Devices, reports and budgets
    BENCH_JETSON: run(
        subs={"--device jetson": "--device all"},  # no Jetson here: `all` (the README's variant) is `local` alone
        creates=("results.jsonl",),
    ),
    "stylelite report results.jsonl -o report/": run(
        needs=(BENCH_JETSON,), creates=("report/report.md", "report/report.html")
    ),
    "stylelite budget check results.jsonl": run(needs=(BENCH_JETSON,), creates=("budget-check/junit.xml",)),
    "stylelite bench student.onnx teacher.onnx --clip textured --reference teacher.onnx --max-frames 40": parse_only(
        "needs Debian's opencv-doc (tests skip without it); tests/runtime/test_corpus.py decodes the textured clips"
    ),
    "stylelite emulate arm64": parse_only(
        "needs qemu-user-static, mmdebstrap and the network; tests/device_tests/test_arm64_board.py builds the board"
    ),
    "stylelite bench student.onnx student_int8.tflite --device arm64 --clip clip.mp4": parse_only(
        "needs the emulated board; tests/device_tests/test_arm64_board.py runs ONNX and TFLite on it"
    ),
    "pytest stylelite/device_tests --device arm64 --artifact student.onnx": parse_only(
        "needs the emulated board in devices.toml (parsed: --collect-only); tests/device_tests/test_arm64_board.py "
        "runs the suite on it"
    ),
    "python docs/measurements/real_teacher_students.py --student shufflegen_t_050 --steps 1500": parse_only(
        "a measurement script: trains a student of the magenta teacher for 1,500 steps (about 40 minutes)"
    ),
    "python docs/measurements/real_teacher_students.py --student shufflenorm_in_4_32 --steps 1500": parse_only(
        "a measurement script: trains a student of the magenta teacher for 1,500 steps (about 40 minutes)"
    ),
    (
        "python docs/measurements/real_teacher_students.py --student shufflenorm_in_4_32 --style 3 --steps 1500"
    ): parse_only("a measurement script: labels 800 frames in Magenta's style_03, trains 1,500 steps (15 minutes)"),
    (
        "python docs/measurements/real_teacher_students.py --student shufflenorm_in_4_32 --style 3 --steps 0 "
        "--init runs/real_teacher/shufflenorm_in_4_32_s3_1500_ssim0.5_lr0.002.pt --compare magenta_student.onnx --gram"
    ): parse_only("scores the line above's trained student again: needs its run (about 15 minutes)"),
    (
        "python docs/measurements/real_teacher_students.py --student shufflenorm_in_4_32 --style 3 --steps 3000 "
        "--threads 2 --compare magenta_student.onnx --gram"
    ): parse_only("a measurement script: trains the one-style student 3,000 steps on 2 threads (about 12 minutes)"),
    (
        "python docs/measurements/real_teacher_students.py --student shufflenorm_in_4_32 --style 17 --steps 3000 "
        "--threads 2 --compare magenta_student.onnx --gram"
    ): parse_only("a measurement script: labels 800 frames in style_17, trains 3,000 steps on 2 threads (13 minutes)"),
    "python docs/measurements/real_teacher_students.py --student stroke_in --steps 2000": parse_only(
        "a measurement script: trains a student of the magenta teacher for 2,000 steps (about an hour)"
    ),
    (
        "python docs/measurements/real_teacher_students.py --student shufflenorm_in_4_32 --steps 2500 --lr 1e-3 "
        "--init runs/real_teacher/shufflenorm_in_4_32_s0_1500_ssim0.5_lr0.002.pt --tag _cont"
    ): parse_only("a measurement script: continues the NormGen run above for 2,500 steps (about 30 minutes)"),
    (
        "stylelite distill --teacher cyclegan_r9.vintagify --student normgen_t_050 --data world --labels labels "
        "--label-view frame --crop 256 --label-crops 1024 --w-feature 0 --w-ssim 0.5 --steps 3000 --batch 4 --threads 1"
    ): parse_only("labels 1,024 frames with the 56-GMAC vintagify teacher and trains 3,000 steps (about 70 minutes)"),
    (
        "stylelite distill --teacher cyclegan_r9.vintagify --student normres_t_050 --data world --labels labels "
        "--label-view frame --crop 256 --label-crops 1024 --w-ssim 0.5 --steps 2000 --batch 4 --threads 1"
    ): parse_only("the same store as the line above, 2,000 steps of the residual student (about 30 minutes)"),
    (
        "stylelite distill --teacher multistyle26.magenta --data world --labels labels --threads 1 --budget-minutes 95 "
        "--steps 6000 --save-every 100"
    ): parse_only("the shipped 26-style student's run: 4,096 labels and 6,000 steps (about 3 hours on 2 cores)"),
    "stylelite export normgen_styled_t_050.magenta -o magenta_student.onnx": run(creates=("magenta_student.onnx",)),
    "stylelite export shufflegen_t_050_sk.cartoon -o sk.onnx": run(creates=("sk.onnx",)),
    (
        "stylelite bench sk.onnx fastest.onnx teacher.onnx --clip textured --reference teacher.onnx --max-frames 40 "
        "--process-size 320x240 --threads 1"
    ): parse_only(
        "the 49.6-GMAC teacher on 40 frames of three clips, twice (minutes); the textured set's clips "
        "are checked in tests/runtime/test_corpus.py"
    ),
    (
        "stylelite distill --teacher cyclegan_r9_bn.cartoon --student shufflegen_t_050_sk --init-from "
        "stylelite/models/weights/shufflegen_t_050_cartoon.safetensors --labels labels --label-crops 1024 --crop 160 "
        "--batch 8 --steps 1500 --lr 1e-4 --w-feature 0 --w-temporal 5 --temporal-batch 2 --w-ssim 0.5 --data world "
        "--data opencv-photos --threads 1 --save-every 250"
    ): run(
        TINY_CROPS,
        {
            "stylelite/models/weights/": WEIGHTS,
            "--steps 1500": "--steps 2",
            "--label-crops 1024": "--label-crops 16",
            "--crop 160": "--crop 32",
        },
        slow="a tiny run of the skip-filter student from the plain one: a 16-crop store of the 49.6-GMAC teacher",
    ),
    (
        "stylelite distill --teacher cyclegan_r9.vintagify --student normgrade_t_050 --data world --data opencv-photos "
        "--labels labels --label-view frame --label-colours natural --crop 256 --label-crops 1024 --w-ssim 0.5 "
        "--steps 3000 --batch 4 --lr 2e-3 --threads 1"
    ): parse_only("the global-grade experiment: 3,000 steps on a 1,024-label store (about 50 minutes on one thread)"),
    (
        "stylelite distill --teacher cyclegan_r9.vintagify --student normres_t_050 --data world --data opencv-photos "
        "--labels labels --label-view frame --label-colours natural --crop 256 --label-crops 1024 --w-ssim 0.5 "
        "--steps 3000 --batch 4 --lr 2e-3 --threads 1"
    ): parse_only(
        "the shipped vintagify student's run: 1,024 labels of the 49.6-GMAC teacher and 3,000 steps (80 min)"
    ),
    "stylelite export cyclegan_r9.vintagify -o teacher.onnx": parse_only(
        "exports the 45 MB teacher for the bench line below; tests/models/test_packaged_teachers.py loads it"
    ),
    (
        "stylelite bench vintage_student.onnx teacher.onnx --clip real --clip textured --reference teacher.onnx "
        "--max-frames 40 --process-size 320x240 --no-ceiling"
    ): parse_only("runs the 49.6-GMAC teacher on 240 frames (about 7 minutes)"),
    "python docs/measurements/styled_student_all_styles.py magenta_student.onnx multistyle26.magenta": run(
        "--frames 1 --width 48 --blends 1",
        {"docs/measurements/": MEASUREMENTS},
        needs=("stylelite export normgen_styled_t_050.magenta -o magenta_student.onnx",),
    ),  # every style of the teacher and the shipped student on one tiny frame of each real clip
    "python docs/measurements/vintagify_grade.py --picture vintagify_grade_frames.jpg": run(
        "--contexts 6 --frames 2 --step 1 --size 64x48 --sets real --threads 1",
        {"docs/measurements/": MEASUREMENTS},
        creates=("vintagify_grade_frames.jpg",),
    ),  # vintagify's grades on six tiny training crops and two tiny frames of each real clip
    (
        "stylelite bench vintage_student.onnx teacher.onnx --clip real --reference teacher.onnx --max-frames 12 "
        "--process-size 640x480 --no-ceiling"
    ): parse_only("runs the 49.6-GMAC teacher on 36 frames at 640x480 (about 3 minutes)"),
    (
        "python docs/measurements/styled_student_all_styles.py magenta_student.onnx multistyle26.magenta --frames 2 "
        "--blends 0 --width 640"
    ): run(
        "--frames 1 --width 48",
        {"docs/measurements/": MEASUREMENTS},
        needs=("stylelite export normgen_styled_t_050.magenta -o magenta_student.onnx",),
    ),  # every style on one tiny frame of each real clip
    "python docs/measurements/vintagify_grade_limits.py --threads 1": run(
        "--crops 10 --frames 1 --step 1 --size 64x48 --fit-steps 2",
        {"docs/measurements/": MEASUREMENTS},
    ),  # the five measurements on one tiny frame of each clip, ten training crops and two training steps
    (
        "stylelite distill --teacher multistyle26.magenta --student normgen_styled_t_050 --data world --labels labels "
        "--label-view frame --crop 256 --label-crops 2048 --w-feature 0 --w-ssim 0.5 --w-gram 1.0 --steps 900 "
        "--batch 4 --lr 5e-4 --threads 1 --init-from stylelite/models/weights/normgen_styled_t_050_magenta.safetensors"
    ): parse_only("the Magenta student's third stage: 2,048 labels and 900 steps of the Gram term (about an hour)"),
    "python docs/measurements/teacher_self_agreement.py multistyle26.magenta": run(
        "--frames 1 --width 48",
        {"docs/measurements/": MEASUREMENTS},
    ),  # every style of Magenta's network against itself on one tiny frame of each real clip
    "python docs/measurements/teacher_self_agreement.py multistyle26.magenta --frames 1 --width 256 --gram": run(
        "--width 48",
        {"docs/measurements/": MEASUREMENTS},
    ),  # the same with the Gram style distance (VGG-19 in numpy), on tiny frames
    (
        "python docs/measurements/teacher_grid_phase.py multistyle26.magenta --student magenta_student.onnx "
        "--picture magenta_grid_phase.jpg"
    ): run(
        "--width 48",
        {"docs/measurements/": MEASUREMENTS},
        needs=("stylelite export normgen_styled_t_050.magenta -o magenta_student.onnx",),
        creates=("magenta_grid_phase.jpg",),
    ),  # every style on its grid, the student beside it, on one tiny frame of each real clip
    "python docs/measurements/student_on_labels.py magenta_student.onnx labels --crops 1024": run(
        "",
        {"docs/measurements/": MEASUREMENTS, " labels ": lambda ws: f" {_tiny_magenta_store(ws)} "},
        needs=("stylelite export normgen_styled_t_050.magenta -o magenta_student.onnx",),
    ),  # the shipped student on a tiny store of its teacher (16 crops of 32 px; the docs' store takes an hour)
    "python docs/measurements/hd_process_size.py fastest.onnx cyclegan_r9_bn.cartoon": run(
        "--frames 1",
        {"docs/measurements/": MEASUREMENTS},
        needs=(EXPORT_FASTEST,),
        slow="runs the 49.6-GMAC teacher on a 1280x720 frame (about a minute)",
    ),
    "python docs/measurements/teacher_crop_consistency.py": parse_only(
        "a measurement script: needs the magenta extra, vintagify and opencv-doc, and runs the teachers (minutes)"
    ),
    "pytest stylelite/device_tests --device jetson": parse_only(
        "needs a Jetson declared in devices.toml (parsed: --collect-only)"
    ),
}
