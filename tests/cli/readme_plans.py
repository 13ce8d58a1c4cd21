"""The plan of every documented command (README.md and docs/**/*.md bash blocks) for
tests/cli/test_readme_commands.py, keyed by its text: run it (with tiny-size substitutions and options) or
parse it only, and why."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SHARED, TEMPORAL = "shared", "temporal"  # working folders: most blocks share one; the temporal recipe
# says "run in an empty folder", so it gets its own (and its run folders are numbered as printed)


class KnownBug(AssertionError):
    """The failure an xfail entry expects (any other failure fails the test)."""


@dataclass(frozen=True)
class Plan:
    why_not: str = ""  # parse only: why the command cannot run here
    subs: tuple[tuple[str, str | Callable], ...] = ()  # README text -> tiny/stand-in text; each must occur
    add: str = ""  # options appended (tiny sizes)
    variants: tuple[tuple[tuple[str, str], ...], ...] = ((),)  # one run per set of placeholder fills
    needs: tuple[str, ...] = ()  # README commands that must have run first (in this session)
    folder: str = SHARED
    creates: tuple[str, ...] = ()  # files the command must leave behind
    slow: str = ""  # runs only with -m slow, and why
    bug: str = ""  # a bug in code not owned by this test: xfail(strict=True) with this reason
    bug_match: str = ""  # ... and the failure's output must match this


def run(add: str = "", subs: dict | None = None, **kw) -> Plan:
    return Plan(add=add, subs=tuple((subs or {}).items()), **kw)


def parse_only(why: str) -> Plan:
    return Plan(why_not=why)


TINY_CROPS = "--batch 1 --crop 32 --cache-size 2"  # tiny crops keep the 49.6-GMAC teacher cheap
TINY_DISTILL = "--steps 2 --label-crops 128 " + TINY_CROPS  # a recipe run (no --student) fills a store
TINY_TRAIN = "--steps 1 --batch 1 --crop 32"
RUN_1 = "runs/00001-mobilegen_s_025-cyclegan_r9_bn_cartoon"  # what DISTILL_1 makes in an empty folder
DISTILL_1 = "stylelite distill --teacher cyclegan_r9_bn.cartoon --student mobilegen_s_025 --steps 600"
TRAIN_CYCLEGAN = "stylelite train-teacher --family cyclegan --data-a photos/ --data-b paintings/ --nproc-per-node 2"
EXPORT_TFLITE = (
    "stylelite export runs/00001-…/student.safetensors --format tflite --precision int8 --static-size 256 "
    "--calib reports/demo/clip.mp4 --tflite-io uint8 -o student_int8.tflite"
)
BENCH_JETSON = "stylelite bench student.onnx --clip clip.mp4 --device jetson --out results.jsonl"
EXPORT_SHIPPED = "stylelite export shufflegen_s_050.cartoon -o shipped.onnx"
EXPORT_FAST = "stylelite export shufflegen_f_050.cartoon -o fast.onnx"
EXPORT_FASTEST = "stylelite export shufflegen_t_050.cartoon -o fastest.onnx"
TEMPORAL_CLIPS = (
    'python -c "from stylelite.distill.photos import load_photo; from stylelite.runtime.synthetic import '
    "make_camera_clip; from stylelite.runtime.video import write_video; [write_video(f'clip_{n}.mp4', "
    "make_camera_clip(load_photo(p), 40, (320, 240)), fps=12.0) for n, p in (('chelsea', 'chelsea'), "
    "('ihc', 'immunohistochemistry'))]\""
)
MEASUREMENTS = str(Path(__file__).resolve().parents[2] / "docs" / "measurements") + "/"  # scripts run from the repo
WEIGHTS = str(Path(__file__).resolve().parents[2] / "stylelite" / "models" / "weights") + "/"  # shipped weights
SLOW_TEMPORAL = "the temporal-comparison recipe: three distils and the 45 MB teacher's export (minutes)"

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
    # ---- Measurements pages (docs/measurements/): the shipped students' speed, the demo recipe, int8
    "stylelite bench fastest.onnx fast.onnx shipped.onnx --clip bikes.mp4 --process-size 640x480": run(
        "--min-seconds 0.2",
        {"--process-size 640x480": "--process-size 64x48"},
        needs=(EXPORT_FASTEST, EXPORT_FAST, EXPORT_SHIPPED),
    ),
    "stylelite distill --teacher cyclegan_r9_bn.cartoon --student mobilegen_s_050 --steps 600": parse_only(
        "the demo's recipe (minutes); the same command with mobilegen_s_025 runs above at tiny size"
    ),
    (
        "stylelite export shufflegen_s_050.cartoon --precision auto --calib calib --threads 2 -o shipped_auto.onnx"
    ): parse_only(
        "needs the measurement's calibration photos and times every conv (~35 s); the --precision auto command "
        "of the export guide runs (slow) and tests/export/test_int8_layers.py covers it"
    ),
    "stylelite bench candidate.onnx shipped_auto.onnx --clip bikes.mp4 --process-size 640x480": parse_only(
        "benches the measurement's own files (candidate.onnx, shipped_auto.onnx); the bench of the shipped "
        "students at 640x480 above runs the same way"
    ),
    "stylelite export shufflegen_s_050.cartoon --int8 --calib calib --no-equalize -o s050_int8_plain.onnx": run(
        "", {"--calib calib": "--calib clip.mp4"}, creates=("s050_int8_plain.onnx",)
    ),
    "stylelite export shufflegen_s_050.cartoon --int8 --calib calib -o s050_int8_eq.onnx": run(
        "", {"--calib calib": "--calib clip.mp4"}, creates=("s050_int8_eq.onnx",)
    ),
    (
        "stylelite distill --teacher cyclegan_r9_bn.cartoon --student shufflegen_t_050_sk --qat int8 --qat-engine "
        "ranges --init-from stylelite/models/weights/shufflegen_t_050_sk_cartoon.safetensors --labels labels "
        "--label-crops 1024 --crop 160 --batch 8 --steps 3000 --lr 1e-4 --w-feature 0 --w-pixel 0.25 --w-start 1 "
        "--w-ssim 0.25 --w-temporal 5 --temporal-batch 2 --data world --data opencv-photos --threads 1 --save-every 250"
    ): run(
        TINY_CROPS,
        {
            "stylelite/models/weights/": WEIGHTS,
            "--steps 3000": "--steps 2",
            "--label-crops 1024": "--label-crops 16",
            "--crop 160": "--crop 32",
        },
        slow="a tiny range-QAT run of the skip-filter student: a 16-crop store of the 49.6-GMAC teacher (~40 s)",
    ),
    "stylelite export shufflegen_t_050_sk.cartoon_int8 --int8 --calib calib -o sk_int8.onnx": run(
        "", {"--calib calib": "--calib clip.mp4"}, creates=("sk_int8.onnx",)
    ),
    "stylelite export shufflegen_s_050.cartoon -o s050_fp32.onnx": run(creates=("s050_fp32.onnx",)),
    "stylelite export shufflegen_t_050.cartoon -o t050_fp32.onnx": run(creates=("t050_fp32.onnx",)),
    "stylelite export shufflegen_t_050.cartoon --int8 --calib calib -o t050_int8.onnx": run(
        "", {"--calib calib": "--calib clip.mp4"}, creates=("t050_int8.onnx",)
    ),
    "stylelite bench t050_fp32.onnx t050_int8.onnx --clip bigbuckbunny.mp4 --pipeline --size 1280x720 --threads 2": run(
        "--max-frames 4",
        {"bigbuckbunny.mp4": "clip.mp4", "--size 1280x720": "--size 64x48"},
        needs=(
            "stylelite export shufflegen_t_050.cartoon -o t050_fp32.onnx",
            "stylelite export shufflegen_t_050.cartoon --int8 --calib calib -o t050_int8.onnx",
        ),
    ),
    (
        "stylelite bench s050_fp32.onnx s050_int8_plain.onnx s050_int8_eq.onnx teacher.onnx --clip real "
        "--reference teacher.onnx --max-frames 40"
    ): run(
        "--min-seconds 0.2",
        {"--max-frames 40": "--max-frames 2"},
        needs=(
            "stylelite export shufflegen_s_050.cartoon --int8 --calib calib --no-equalize -o s050_int8_plain.onnx",
            "stylelite export shufflegen_s_050.cartoon --int8 --calib calib -o s050_int8_eq.onnx",
            "stylelite export shufflegen_s_050.cartoon -o s050_fp32.onnx",
        ),
        slow="the student bench on real clips above runs the same command shape (~40 s with the teacher on 3 clips)",
    ),
    (
        "stylelite export shufflegen_s_050.cartoon --format tflite --int8 --static-size 256 --calib calib "
        "--tflite-io uint8 -o s050_int8_eq.tflite"
    ): run(
        "",
        {"--static-size 256": "--static-size 64", "--calib calib": "--calib clip.mp4"},
        creates=("s050_int8_eq.tflite",),
        slow="converts through onnx2tf and TensorFlow (~30 s); tests/export/test_tflite.py covers int8 TFLite",
    ),
    (
        "stylelite bench s050_fp32.tflite s050_int8_plain.tflite s050_int8_eq.tflite teacher.onnx --clip real "
        "--process-size 256x256 --reference teacher.onnx --max-frames 40"
    ): parse_only(
        "needs three TFLite exports (onnx2tf, ~30 s each) and the teacher on three clips; the ONNX bench of the "
        "same three forms above runs"
    ),
    (
        "stylelite distill --teacher cyclegan_r9_bn.cartoon --student shufflegen_s_050 --qat int8 --qat-engin"
        "e ranges --init-from stylelite/models/weights/shufflegen_s_050_cartoon.safetensors --labels labels -"
        "-label-crops 1024 --crop 160 --batch 8 --steps 1500 --lr 1e-4 --w-feature 0 --w-pixel 0.25 --w-start"
        " 1 --w-ssim 0.25 --w-temporal 5 --temporal-batch 2 --data world --threads 2 --save-every 250"
    ): parse_only(
        "fine-tunes the shipped student for 1,500 steps (12 minutes) from a path in the source tree; "
        "tests/distill/test_range_qat.py runs the same engine through the CLI at tiny size"
    ),
    "python docs/measurements/int8_sensitivity.py student.onnx teacher.onnx --clip carphone": parse_only(
        "a measurement script: dozens of quantized exports scored on a real clip (minutes)"
    ),
    # ---- Students built for the silicon
    "stylelite bench mobilegen_s_025.onnx mobilegen_s_050.onnx shufflegen_t_038.onnx shufflegen_s_050.onnx "
    "shufflegen_m_075.onnx --clip clip.mp4 --process-size 640x480": parse_only(
        "needs the five exported students a search writes; tests/benchmark/test_host_bench.py runs the ceiling "
        "columns on the committed student"
    ),
    "stylelite search --candidates mobilegen_s_025 mobilegen_s_050 shufflegen_t_038 shufflegen_s_050 "
    "shufflegen_m_075 --labels labels --label-crops 2560 --crop 160 --steps 1000 --clip bikes --size 640x480 "
    "--frames 16 --budget-ms 33 -o search": parse_only(
        "minutes per candidate even at tiny sizes; tests/search/test_student_search.py runs a two-candidate "
        "search end to end through the same command"
    ),
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
    "python docs/measurements/teacher_self_agreement.py multistyle26.magenta": run(
        "--frames 1 --width 48",
        {"docs/measurements/": MEASUREMENTS},
    ),  # every style of Magenta's network against itself on one tiny frame of each real clip
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

PLACEHOLDERS = (("runs/00001-…", RUN_1),)  # the README's `…` is the run folder DISTILL_1 makes
