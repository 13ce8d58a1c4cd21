"""The plan of every documented command (README.md and docs/**/*.md bash blocks) for
tests/cli/test_readme_commands.py, keyed by its text: run it (with tiny-size substitutions and options) or
parse it only, and why."""

from __future__ import annotations

from tests.cli.plan_kit import (
    DISTILL_1,
    EXPORT_FAST,
    EXPORT_FASTEST,
    EXPORT_FASTEST_U8,
    EXPORT_SHIPPED,
    EXPORT_TFLITE,
    RUN_1,
    SLOW_TEMPORAL,
    TEMPORAL,
    TEMPORAL_CLIPS,
    TINY_CROPS,
    TINY_DISTILL,
    TINY_TRAIN,
    TRAIN_CYCLEGAN,
    Plan,
    parse_only,
    run,
)  # fmt: skip
from tests.cli.readme_plans_devices import DEVICE_PLANS
from tests.cli.readme_plans_pages import PAGE_PLANS

PLANS: dict[str, Plan] = {
    # ---- the opening block (the demo runs at tiny sizes in tests/cli/test_demo.py)
    'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[full]" '
    "&& pip install --no-deps vintagify==0.1.2 && stylelite demo": parse_only(
        "installs into a new venv: tests/cli/test_readme.py checks the line, tests/cli/test_demo.py runs the demo"
    ),
    'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[dev]" '
    "&& pip install --no-deps vintagify==0.1.2 && pytest -q": parse_only(
        "installs into a new venv and runs the whole suite: tests/cli/test_readme.py checks it is what .ci/run runs"
    ),
    # ---- Commands
    "stylelite list": run(),
    DISTILL_1: run(TINY_CROPS, {"--steps 600": "--steps 2"}, creates=(RUN_1 + "/student.safetensors",)),
    "stylelite distill --resume runs/00001-mobilegen_s_025-cyclegan_r9_bn_cartoon": run(),
    "stylelite export runs/00001-mobilegen_s_025-cyclegan_r9_bn_cartoon/student.safetensors -o student.onnx": run(
        creates=("student.onnx",)
    ),
    "stylelite run student.onnx -i clip.mp4 -o stylized.mp4": run(creates=("stylized.mp4",)),
    EXPORT_FASTEST_U8: run(creates=("fastest_u8.onnx",)),
    "stylelite run fastest_u8.onnx -i clip.mp4 -o stylized_u8.mp4 --workers 2": run(
        creates=("stylized_u8.mp4",), needs=(EXPORT_FASTEST_U8,)
    ),
    "stylelite export normres_t_050.vintagify -o vintage_student.onnx": run(creates=("vintage_student.onnx",)),
    "stylelite run vintage_student.onnx -i clip.mp4 -o vintage.mp4": run(
        creates=("vintage.mp4",), needs=("stylelite export normres_t_050.vintagify -o vintage_student.onnx",)
    ),
    "stylelite run magenta_student.onnx -i clip.mp4 -o styled.mp4 --style style_10": run(
        creates=("styled.mp4",), needs=("stylelite export normgen_styled_t_050.magenta -o magenta_student.onnx",)
    ),
    (
        "stylelite bench student.onnx teacher.onnx --clip clip.mp4 --reference teacher.onnx --size 640x480 "
        "--report out/"
    ): run("--min-seconds 0.2", {"--size 640x480": "--size 64x48"}, creates=("out/report.md",)),
    "stylelite inspect latest_net_G.pth": parse_only(
        "needs a training run's checkpoint; tests/models/test_fork_checkpoints.py inspects real files"
    ),
    "stylelite inspect fork_G.pth": parse_only(
        "needs a fork's checkpoint; tests/models/test_fork_checkpoints.py builds one and inspects it"
    ),
    "stylelite export cyclegan_r9 --checkpoint fork_G.pth --key-map block=conv_block -o fork_teacher.onnx": parse_only(
        "needs a fork's checkpoint; tests/models/test_fork_checkpoints.py builds one and exports it this way"
    ),
    (
        "stylelite distill --teacher other_team.onnx --teacher-card input_range=0,255 "
        "--teacher-card output_range=0,255 --w-feature 0 --student shufflegen_s_050"
    ): parse_only("needs another team's ONNX generator; tests/distill/test_graph_teachers.py distils from several"),
    (
        "stylelite export other.onnx --card input_range=0,255 --card output_range=0,255 --card layout=NHWC "
        "-o other_stamped.onnx"
    ): parse_only("needs a foreign ONNX file; tests/export/test_stamp.py stamps and plays one"),
    (
        "stylelite distill --teacher styled.onnx --teacher-card style_input=style --teacher-card styles=ink,wash,neon "
        "--w-feature 0 --student mobilegen_styled_s_050"
    ): parse_only("needs a style-conditioned graph; tests/distill/test_styled_distill.py distils one and exports it"),
    "stylelite export runs/00001-…/student.safetensors -o styled_student.onnx": parse_only(
        "exports the run above; tests/distill/test_styled_distill.py exports a styled student"
    ),
    "stylelite run styled_student.onnx -i clip.mp4 -o wash.mp4 --style wash --strength 0.8": parse_only(
        "plays the export above; tests/distill/test_styled_distill.py drives its styles through the ONNX engine"
    ),
    "stylelite run other_stamped.onnx -i clip.mp4 -o stylized.mp4": parse_only(
        "plays the stamped file above; tests/export/test_stamp.py runs a stamped copy"
    ),
    (
        "stylelite distill --device cuda --amp --nproc-per-node 4 --labels labels --w-feature 0 "
        "--student shufflegen_s_050 --data world"
    ): parse_only("needs 4 GPUs; tests/distill/test_distill_distributed.py runs two gloo ranks on the CPU and --amp"),
    "stylelite train-teacher --threads 2": run(
        TINY_TRAIN, slow="trains the cartoon teacher and scores it on the held-out photos at 256 px (~30 s)"
    ),
    # ---- Bring your own teacher (stand-in checkpoints of the upstream layout)
    "stylelite distill --teacher cyclegan_r9 --teacher-checkpoint horse2zebra.pth --data my_clips/walk.mp4": run(
        TINY_DISTILL
    ),
    "stylelite distill --teacher fast_neural_style --teacher-checkpoint candy.pth --data photos/": run(TINY_DISTILL),
    "stylelite export cyclegan_r9 --checkpoint horse2zebra.pth -o horse2zebra_teacher.onnx": run(
        slow="exports and verifies the 11.4 M-parameter teacher at 256x256 (~30 s)",
        creates=("horse2zebra_teacher.onnx",),
    ),
    # ---- Packaged teachers, TorchScript teachers, the label store (docs/guides)
    (
        "stylelite distill --teacher multistyle26.magenta.style_07 --student normgen_t_050 --data world "
        "--labels magenta07 --label-view frame --crop 256"
    ): run("--steps 2 --batch 1 --label-crops 2", {"--crop 256": "--crop 32"}),
    "stylelite distill --teacher multistyle26.magenta --data world --labels magenta-labels": run(
        "--steps 2 --batch 1 --label-crops 4 --crop 32 --temporal-batch 1"
    ),  # the recipe measures Magenta's network, then fills a 4-crop styled store and trains 2 steps
    "stylelite distill --teacher generator.pt --trust-graph-code --w-feature 0 --student shufflegen_s_050": parse_only(
        "needs a TorchScript generator; tests/models/test_graph_teacher_hostile.py runs one only when trusted"
    ),
    (
        "stylelite distill --teacher cyclegan_r9_bn.cartoon --student shufflegen_s_050 --data world --labels labels "
        "--label-crops 2560 --crop 160 --w-feature 0"
    ): run(
        "--steps 2 --batch 1 --cache-size 2",
        {"--label-crops 2560": "--label-crops 4", "--crop 160": "--crop 32"},
        creates=("labels/store.json",),
    ),
    # ---- Train a teacher
    TRAIN_CYCLEGAN: run(TINY_TRAIN + " --threads 1", slow="two DDP processes through torch.distributed.run (~45 s)"),
    (
        "stylelite train-teacher --family fast_neural_style --style candy.jpg --data-a photos/ --vgg vgg16-397923af.pth"
    ): run(TINY_TRAIN, slow="trains with a 59 MB stand-in VGG-16 (~20 s)"),
    (
        "stylelite distill --teacher cyclegan_r9 "
        "--teacher-checkpoint runs/00003-cyclegan-cyclegan_r9/teacher_fp16.safetensors"
    ): run(
        TINY_DISTILL,
        {"runs/00003-cyclegan-cyclegan_r9": lambda ws: ws.run_folder_of(TRAIN_CYCLEGAN)},
        needs=(TRAIN_CYCLEGAN,),
        slow="needs the cyclegan teacher the (slow) command above trains",
    ),
    # ---- Real-time runtime
    "stylelite run student.onnx -i photos/ -o stylized/": run(creates=("stylized/p0.png",)),
    "stylelite run student.onnx -i clip.mp4 -o stylized.mp4 --workers 2": run(creates=("stylized.mp4",)),
    "stylelite run student.onnx -i 0 -o webcam.mp4 --mode live": parse_only("needs a camera (device 0)"),
    "stylelite run student.onnx -i rtsp://camera.local:8554/live -o cam.mp4 --mode live": parse_only(
        "needs an RTSP camera on the network (tests/runtime runs a real RTSP server)"
    ),
    "stylelite run student.onnx -i 0 --show": parse_only("needs a camera and a display"),
    "stylelite run teacher.onnx -i clip.mp4 -o fast.mp4 --process-size 320x240": run(
        subs={"--process-size 320x240": "--process-size 32x24"}, creates=("fast.mp4",)
    ),
    "stylelite run multistyle.onnx -i clip.mp4 -o mix.mp4 --style ink --blend-with wash --mix 0.3 --strength 0.8": run(
        creates=("mix.mp4",)
    ),
    "stylelite run runs/00001-…/student.safetensors -i clip.mp4 -o check.mp4": run(creates=("check.mp4",)),
    "stylelite serve student.onnx --clip clip.mp4": parse_only(
        "an interactive server that runs until Ctrl+C (tests/runtime/test_serve.py drives it in a browser)"
    ),
    "stylelite bench student.onnx --clip clip.mp4 --pipeline": run("--size 64x48 --max-frames 4"),
    "stylelite bench student.onnx --clip clip.mp4 --pipeline --threads 2": run("--size 64x48 --max-frames 4"),
    # ---- Temporal students and the full comparison (its own empty folder, as the README says)
    TEMPORAL_CLIPS: run(
        subs={"40, (320, 240)": "4, (64, 48)"}, folder=TEMPORAL, creates=("clip_chelsea.mp4", "clip_ihc.mp4")
    ),
    "nice -n 19 stylelite distill --out runs --threads 2 --student mobilegen_s_050 --w-temporal 0": run(
        TINY_DISTILL, folder=TEMPORAL, slow=SLOW_TEMPORAL
    ),
    (
        "nice -n 19 stylelite distill --out runs --threads 2 --student mobilegen_s_050 --w-temporal 20 "
        "--w-long-term 10 --w-single-frame 10"
    ): run(TINY_DISTILL, folder=TEMPORAL, slow=SLOW_TEMPORAL),
    "nice -n 19 stylelite distill --out runs --threads 2 --student mobilegen_t_050 --w-temporal 20": run(
        TINY_DISTILL, folder=TEMPORAL, slow=SLOW_TEMPORAL
    ),
    "stylelite export cyclegan_r9_bn.cartoon -o teacher.onnx": run(folder=TEMPORAL, slow=SLOW_TEMPORAL),
    "stylelite export runs/00001-mobilegen_s_050-cyclegan_r9_bn_cartoon/student.safetensors -o s050_notemp.onnx": run(
        folder=TEMPORAL, slow=SLOW_TEMPORAL
    ),
    "stylelite export runs/00002-mobilegen_s_050-cyclegan_r9_bn_cartoon/student.safetensors -o s050_strong.onnx": run(
        folder=TEMPORAL, slow=SLOW_TEMPORAL
    ),
    "stylelite export runs/00003-mobilegen_t_050-cyclegan_r9_bn_cartoon/student.safetensors -o t050.onnx": run(
        folder=TEMPORAL, slow=SLOW_TEMPORAL
    ),
    (
        "nice -n 19 stylelite bench teacher.onnx s050_notemp.onnx s050_strong.onnx t050.onnx "
        "--clip clip_chelsea.mp4 --reference teacher.onnx --threads 2 --out bench_chelsea.jsonl"
    ): run(folder=TEMPORAL, slow=SLOW_TEMPORAL, creates=("bench_chelsea.jsonl",)),
    (
        "nice -n 19 stylelite run s050_notemp.onnx -i clip_chelsea.mp4 -o out_chelsea_notemp_stab05.mp4 "
        "--threads 2 --stabilize 0.5"
    ): run(folder=TEMPORAL, slow=SLOW_TEMPORAL),
    "nice -n 19 stylelite run MODEL.onnx -i clip_chelsea.mp4 -o out_chelsea_NAME.mp4 --threads 2": Plan(
        variants=tuple(
            (("MODEL", m), ("NAME", n))
            for m, n in (("teacher", "teacher"), ("s050_notemp", "notemp"), ("t050", "t050"))
        ),
        folder=TEMPORAL,
        slow=SLOW_TEMPORAL,
    ),
    (
        "python -m stylelite.benchmark.temporal_compare clip_chelsea.mp4 out_chelsea_teacher.mp4 "
        "out_chelsea_notemp.mp4 out_chelsea_notemp_stab05.mp4 out_chelsea_t050.mp4"
    ): run(folder=TEMPORAL, slow=SLOW_TEMPORAL),
    # ---- Precisions and quantization-aware training
    "stylelite export runs/00001-…/student.safetensors --precision fp16 -o student_fp16.onnx": run(
        creates=("student_fp16.onnx",)
    ),
    "stylelite export runs/00001-…/student.safetensors --int8 --calib reports/demo/clip.mp4 --target xnnpack": run(
        creates=("student_int8.onnx",)
    ),
    "python -m stylelite.export.int8_layers --size 640x480 --threads 1": parse_only(
        "times 16 layers at 640x480 and 160x120 (a minute or two); tests/export/test_int8_layers.py sweeps small"
    ),
    (
        "stylelite export runs/00001-…/student.safetensors --precision auto --calib reports/demo/clip.mp4 "
        "--threads 2 -o student_auto.onnx"
    ): run(
        "--static-size 64",
        creates=("student_auto.onnx",),
        slow="times every conv in fp32 and int8 (~35 s); tests/export/test_int8_layers.py covers --precision auto",
    ),
    (
        "stylelite distill --qat int8 --student mobilegen_s_025 "
        "--init-from runs/00001-…/student.safetensors --steps 200 --lr 2e-4"
    ): run(
        TINY_CROPS,
        {"--steps 200": "--steps 2"},
        slow="NNCF fake-quant QAT (20 s to minutes, even at 2 steps)",
    ),
    EXPORT_TFLITE: run(
        subs={"--static-size 256": "--static-size 32"},
        slow="onnx2tf conversion with TensorFlow (~30-60 s)",
        creates=("student_int8.tflite",),
    ),
    "stylelite bench student.onnx student_int8.tflite --clip clip.mp4 --process-size 256x256": run(
        subs={"--process-size 256x256": "--process-size 32x32"},
        needs=(EXPORT_TFLITE,),
        slow="needs the TFLite file of the (slow) command above",
    ),
    # ---- Fidelity on real clips (the data extra's clips; a small stand-in teacher)
    "stylelite bench student.onnx teacher.onnx --clip real --reference teacher.onnx --max-frames 40": run(
        "--min-seconds 0.2", {"--max-frames 40": "--max-frames 2"}
    ),
    EXPORT_SHIPPED: run(creates=("shipped.onnx",)),
    "stylelite bench shipped.onnx teacher.onnx --clip real --reference teacher.onnx --max-frames 40": run(
        "--min-seconds 0.2",
        {"--max-frames 40": "--max-frames 2"},
        needs=(EXPORT_SHIPPED,),
        slow="the student bench on real clips above runs the same command (~40 s with the teacher on 3 clips)",
    ),
    "python -m stylelite.distill.drop_blocks shufflegen_s_050.cartoon f_init.safetensors --drop 5": run(
        creates=("f_init.safetensors",)
    ),
    EXPORT_FAST: run(creates=("fast.onnx",)),
    "stylelite bench fast.onnx shipped.onnx teacher.onnx --clip real --reference teacher.onnx --max-frames 40": run(
        "--min-seconds 0.2",
        {"--max-frames 40": "--max-frames 2"},
        needs=(EXPORT_FAST, EXPORT_SHIPPED),
        slow="the student bench on real clips above runs the same command (~40 s with the teacher on 3 clips)",
    ),
    "python -m stylelite.distill.drop_blocks shufflegen_f_050.cartoon t_init.safetensors --drop 4": run(
        creates=("t_init.safetensors",)
    ),
    EXPORT_FASTEST: run(creates=("fastest.onnx",)),
    "stylelite bench fastest.onnx fast.onnx teacher.onnx --clip real --reference teacher.onnx --max-frames 40": run(
        "--min-seconds 0.2",
        {"--max-frames 40": "--max-frames 2"},
        needs=(EXPORT_FASTEST, EXPORT_FAST),
        slow="the student bench on real clips above runs the same command (~40 s with the teacher on 3 clips)",
    ),
    **PAGE_PLANS,
    **DEVICE_PLANS,
}

PLACEHOLDERS = (("runs/00001-…", RUN_1),)  # the README's `…` is the run folder DISTILL_1 makes
