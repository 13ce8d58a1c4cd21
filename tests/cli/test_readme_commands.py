"""Every command in README.md's ```bash blocks, as a user types it, at tiny sizes.

Each command has an entry in PLANS below, keyed by its README text (continuation lines joined, the
comment dropped). An entry either runs the command with the installed `stylelite` console script in a
fresh process, from a working folder that holds the files the README names (a short clip, small ONNX
models, photo folders, stand-in checkpoints), shrunk by an explicit substitution table; or it says in
one line why the command cannot run here (a camera, a Jetson, a display, a server that never exits).
Every command, runnable or not, is also parsed as typed (`build_parser(verb).parse_args(argv)`), so a
renamed flag in the README fails here. A README command without an entry, or an entry whose README
text is gone, fails too.

Stand-ins: files the README takes from elsewhere (`horse2zebra.pth`, `candy.pth`, torchvision's
`vgg16-397923af.pth`) are made here with random weights in the upstream key layout, so the commands run
end to end; what they produce is meaningless, which is fine for checking that the commands work.

Commands that take long even at tiny sizes (trainers with fixed start-up and evaluation costs, NNCF
QAT, the TFLite conversion, the 45 MB teacher export, the temporal-comparison recipe) are marked
`slow`: the default run parses them, `pytest -m slow tests/cli/test_readme_commands.py` runs them.
"""

from __future__ import annotations

import importlib.util
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import COMMITTED_STUDENT, ROOT, make_photo

README = ROOT / "README.md"
SHARED, TEMPORAL = "shared", "temporal"  # working folders: most blocks share one; the temporal recipe
# says "run in an empty folder", so it gets its own (and its run folders are numbered as printed)

# ------------------------------------------------------------------------------------------- README


@dataclass(frozen=True)
class Command:
    line: int  # README line the command starts on
    text: str  # continuation lines joined, trailing comment dropped


def _strip_comment(line: str) -> str:
    """`cmd --x 1   # note` -> `cmd --x 1` (a `#` inside quotes stays)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def readme_commands() -> list[Command]:
    text = README.read_text()
    out = []
    for block in re.finditer(r"^```bash\n(.*?)^```", text, re.S | re.M):
        first = text.count("\n", 0, block.start(1)) + 1
        lines = block.group(1).split("\n")
        i = 0
        while i < len(lines):
            start, joined = i, lines[i]
            while joined.endswith("\\") and i + 1 < len(lines):  # bash drops backslash-newline
                i += 1
                joined = joined[:-1].rstrip() + " " + lines[i].strip()
            i += 1
            cmd = _strip_comment(joined.strip())
            if cmd:
                out.append(Command(first + start, cmd))
    return out


# ---------------------------------------------------------------------------------------- the plans


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
TINY_DISTILL = "--steps 2 " + TINY_CROPS
TINY_TRAIN = "--steps 1 --batch 1 --crop 32"
RUN_1 = "runs/00001-mobilegen_s_025-cyclegan_r9_bn_cartoon"  # what DISTILL_1 makes in an empty folder
DISTILL_1 = "stylelite distill --teacher cyclegan_r9_bn.cartoon --student mobilegen_s_025 --steps 600"
TRAIN_CYCLEGAN = "stylelite train-teacher --family cyclegan --data-a photos/ --data-b paintings/ --nproc-per-node 2"
EXPORT_TFLITE = (
    "stylelite export runs/00001-…/student.safetensors --format tflite --precision int8 --static-size 256 "
    "--calib reports/demo/clip.mp4 --tflite-io uint8 -o student_int8.tflite"
)
BENCH_JETSON = "stylelite bench student.onnx --clip clip.mp4 --device jetson --out results.jsonl"
TEMPORAL_CLIPS = (
    'python -c "from stylelite.distill.photos import load_photo; from stylelite.runtime.synthetic import '
    "make_camera_clip; from stylelite.runtime.video import write_video; [write_video(f'clip_{n}.mp4', "
    "make_camera_clip(load_photo(p), 40, (320, 240)), fps=12.0) for n, p in (('chelsea', 'chelsea'), "
    "('ihc', 'immunohistochemistry'))]\""
)
SLOW_TEMPORAL = "the temporal-comparison recipe: three distils and the 45 MB teacher's export (minutes)"

PLANS: dict[str, Plan] = {
    # ---- the opening block (the demo runs at tiny sizes in tests/cli/test_demo.py)
    'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[full]" && stylelite demo': parse_only(
        "installs into a new venv: tests/cli/test_readme.py checks the line, tests/cli/test_demo.py runs the demo"
    ),
    'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[dev]" && pytest -q': parse_only(
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
    "stylelite export shufflegen_s_050.cartoon -o shipped.onnx": run(creates=("shipped.onnx",)),
    "stylelite bench shipped.onnx teacher.onnx --clip real --reference teacher.onnx --max-frames 40": run(
        "--min-seconds 0.2",
        {"--max-frames 40": "--max-frames 2"},
        needs=("stylelite export shufflegen_s_050.cartoon -o shipped.onnx",),
        slow="the student bench on real clips above runs the same command (~40 s with the teacher on 3 clips)",
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
    "pytest device_tests --device jetson": parse_only(
        "needs a Jetson declared in devices.toml (parsed: --collect-only)"
    ),
}

PLACEHOLDERS = (("runs/00001-…", RUN_1),)  # the README's `…` is the run folder DISTILL_1 makes

# ------------------------------------------------------------------------------------ working folder


def _exe(name: str) -> str:
    exe = Path(sys.executable).with_name(name)
    return str(exe) if exe.exists() else name


def _argv(text: str) -> list[str]:
    """The README text as a process argv: the venv's python, stylelite and pytest."""
    argv = shlex.split(text)
    if argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    if argv[0] == "pytest":
        argv[:1] = [sys.executable, "-m", "pytest"]
    return [_exe("stylelite") if a == "stylelite" else a for a in argv]


def _vgg16_features_state() -> dict:
    """torchvision's vgg16().features key layout (features.0 ... features.28), random weights."""
    import torch

    cfg = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M")
    layers, cin = [], 3
    for v in cfg:
        if v == "M":
            layers.append(torch.nn.MaxPool2d(2))
        else:
            layers += [torch.nn.Conv2d(cin, v, 3, padding=1), torch.nn.ReLU()]
            cin = v
    return {f"features.{k}": t for k, t in torch.nn.Sequential(*layers).state_dict().items()}


def _make_clip(path: Path) -> None:
    from stylelite.runtime.synthetic import make_camera_clip
    from stylelite.runtime.video import write_video

    write_video(path, make_camera_clip(make_photo(), frames=8, size=(96, 72)), fps=10.0)


def _make_images(folder: Path, seed: int) -> None:
    from stylelite.runtime.video import write_image

    for i in range(2):
        write_image(folder / f"p{i}.png", make_photo(48, 64, seed=seed + i))


def _export(name: str, path: Path) -> None:
    from stylelite.export.api import export_model

    export_model(name, path, sample_size=64)


def _make_multistyle(path: Path) -> None:
    """A random multistyle teacher with the README's two styles, ink and wash, exported to ONNX."""
    import torch

    from stylelite.distill.training_state import save_weights
    from stylelite.export.api import export_model
    from stylelite.models.registry import create_teacher

    torch.manual_seed(0)
    model = create_teacher("multistyle")
    model.set_style_names(["ink", "wash"])
    weights = path.with_suffix(".safetensors")
    save_weights(weights, model, metadata={"teacher": "multistyle"})
    export_model(str(weights), path, sample_size=64)


def _make_style_image(path: Path) -> None:
    from stylelite.runtime.video import write_image

    write_image(path, make_photo(64, 64, seed=5))


def _make_vgg16(path: Path) -> None:
    import torch

    torch.save(_vgg16_features_state(), path)


def _save_state(teacher: str, path: Path) -> None:
    """An upstream-layout .pth (torch.save of a state dict) with random weights."""
    import torch

    from stylelite.models.registry import create_teacher

    torch.save(create_teacher(teacher).state_dict(), path)


# files of the shared folder that the README's commands name, made when a command mentions them
MAKERS: dict[str, Callable[[Path], None]] = {
    "clip.mp4": _make_clip,
    "my_clips/walk.mp4": _make_clip,
    "reports/demo/clip.mp4": _make_clip,  # the demo's clip, in the demo's place
    "photos/": lambda p: _make_images(p, 0),
    "paintings/": lambda p: _make_images(p, 10),
    "student.onnx": lambda p: shutil.copyfile(COMMITTED_STUDENT, p),
    "teacher.onnx": lambda p: _export("mobilegen_s_050", p),  # the commands need *a* second model
    "multistyle.onnx": _make_multistyle,
    "horse2zebra.pth": lambda p: _save_state("cyclegan_r9", p),
    "candy.pth": lambda p: _save_state("fast_neural_style", p),
    "candy.jpg": _make_style_image,
    "vgg16-397923af.pth": _make_vgg16,  # the features.* part of torchvision's file, which is all it reads
}


@dataclass
class Workspace:
    root: Path
    results: dict[str, list[tuple[list[str], subprocess.CompletedProcess]]] = field(default_factory=dict)

    def folder(self, plan: Plan) -> Path:
        path = self.root / plan.folder
        path.mkdir(exist_ok=True)
        return path

    def argvs(self, text: str) -> list[list[str]]:
        """The shrunk argv of each variant of README command `text`."""
        plan = PLANS[text]
        for old, new in plan.subs:
            assert old in text, f"stale substitution {old!r} for: {text}"
            text = text.replace(old, new(self) if callable(new) else new)
        for old, new in PLACEHOLDERS:
            text = text.replace(old, new)
        out = []
        for fills in plan.variants:
            filled = text
            for old, new in fills:
                filled = filled.replace(old, new)
            out.append(_argv(filled) + shlex.split(plan.add))
        return out

    def run(self, text: str) -> list[tuple[list[str], subprocess.CompletedProcess]]:
        """Run README command `text` once per session (later calls return the first result)."""
        if text in self.results:
            return self.results[text]
        plan = PLANS[text]
        for need in self._first_run(text) + plan.needs + self._earlier_in_temporal(text):
            self.require(need)
        cwd = self.folder(plan)
        runs = []
        for argv in self.argvs(text):
            if plan.folder == SHARED:
                for name in argv:
                    self.make(name)
            runs.append((argv, subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=900)))
        self.results[text] = runs
        return runs

    def require(self, text: str) -> None:
        for argv, proc in self.run(text):
            if proc.returncode != 0:
                pytest.fail(f"a command this one needs failed: {shlex.join(argv)}\n{proc.stderr[-2000:]}")

    def make(self, name: str) -> None:
        if name in MAKERS:
            path = self.root / SHARED / name
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                MAKERS[name](path)

    def run_folder_of(self, text: str) -> str:
        self.require(text)
        (stdout,) = {proc.stdout for _, proc in self.results[text]}
        return re.search(r"^run folder: (.+)$", stdout, re.M).group(1).strip()

    @staticmethod
    def _first_run(text: str) -> tuple[str, ...]:
        """In the shared folder DISTILL_1 makes the first run folder (RUN_1, as the README names it), so it
        goes before any other command that makes or reads run folders."""
        if text == DISTILL_1 or PLANS[text].folder != SHARED:
            return ()
        return (DISTILL_1,) if re.search(r"runs/|stylelite (distill|train-teacher)", text) else ()

    @staticmethod
    def _earlier_in_temporal(text: str) -> tuple[str, ...]:
        """The temporal recipe is a sequence: each command needs the ones above it."""
        if PLANS[text].folder != TEMPORAL:
            return ()
        order = [c.text for c in readme_commands() if PLANS.get(c.text, Plan()).folder == TEMPORAL]
        return tuple(order[: order.index(text)])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("readme"))


# -------------------------------------------------------------------------------------------- tests

COMMANDS = readme_commands()


def _id(c: Command) -> str:
    words = [w for w in c.text.split() if not w.startswith("-")]
    verb = next((words[i + 1] for i, w in enumerate(words[:-1]) if w == "stylelite"), words[0])
    return f"L{c.line}-{verb}"


def _marks(plan: Plan) -> list:
    marks = [pytest.mark.slow] if plan.slow else []
    if plan.bug:
        marks.append(pytest.mark.xfail(strict=True, raises=KnownBug, reason=plan.bug))
    return marks


def test_every_readme_command_has_a_plan():
    missing = [f"README line {c.line}: {c.text}" for c in COMMANDS if c.text not in PLANS]
    assert not missing, "add these README commands to PLANS (run at tiny sizes, or why not):\n" + "\n".join(missing)
    stale = set(PLANS) - {c.text for c in COMMANDS}
    assert not stale, f"PLANS entries no longer in README.md: {sorted(stale)}"


@pytest.mark.parametrize("cmd", COMMANDS, ids=_id)
def test_readme_command_parses(cmd, capsys):
    """As typed in the README (no substitutions): flags and choices exist, placeholders aside."""
    from stylelite.cli.main import build_parser

    for part in cmd.text.split(" && "):
        argv = shlex.split(part)
        if argv[:2] == ["nice", "-n"]:
            argv = argv[3:]
        if argv[0] == "stylelite":
            try:
                build_parser(argv[1]).parse_args(argv[1:])
            except SystemExit:
                pytest.fail(f"README line {cmd.line} does not parse: {part}\n{capsys.readouterr().err}")
        elif argv[:2] == ["python", "-c"]:
            compile(argv[2], f"README line {cmd.line}", "exec")
        elif argv[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(argv[2]), f"README line {cmd.line}: no module {argv[2]}"
        elif argv[0] == "pytest" and "device_tests" in argv:
            proc = subprocess.run(
                [sys.executable, "-m", "pytest", *argv[1:], "--collect-only", "-q", "-p", "no:cacheprovider"],
                capture_output=True,
                text=True,
                cwd=ROOT,
                timeout=300,
            )
            assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


RUNNABLE = [c for c in COMMANDS if c.text in PLANS and not PLANS[c.text].why_not]


@pytest.mark.parametrize("cmd", [pytest.param(c, marks=_marks(PLANS[c.text]), id=_id(c)) for c in RUNNABLE])
def test_readme_command_runs(cmd, workspace):
    plan = PLANS[cmd.text]
    for argv, proc in workspace.run(cmd.text):
        typed = shlex.join(argv)
        out = proc.stdout[-3000:] + proc.stderr[-3000:]
        if plan.bug and proc.returncode != 0 and re.search(plan.bug_match, out):
            raise KnownBug(f"{typed}\n{out}")
        assert proc.returncode == 0, f"README line {cmd.line} failed: {typed}\n{out}"
        assert "Traceback" not in proc.stderr, f"README line {cmd.line}: {typed}\n{out}"
    folder = workspace.folder(plan)
    for name in plan.creates:
        assert (folder / name).exists(), f"README line {cmd.line}: {cmd.text} did not write {name}"
