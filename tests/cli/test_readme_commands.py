"""Every command in the ```bash blocks of README.md and of the documentation pages (docs/**/*.md), as a
user types it, at tiny sizes.

Each command has an entry in PLANS (tests/cli/readme_plans.py), keyed by its text (continuation lines joined,
the comment dropped); a command shown on several pages has one entry and runs once. An entry either runs the
command with the installed `stylelite` console script in a
fresh process, from a working folder that holds the files the README names (a short clip, small ONNX
models, photo folders, stand-in checkpoints), shrunk by an explicit substitution table; or it says in
one line why the command cannot run here (a camera, a Jetson, a display, a server that never exits).
Every command, runnable or not, is also parsed as typed (`build_parser(verb).parse_args(argv)`), so a
renamed flag in the docs fails here. A documented command without an entry, or an entry whose text is in no
page any more, fails too.

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

from tests.cli.plan_kit import DISTILL_1, SHARED, TEMPORAL, KnownBug, Plan
from tests.cli.readme_plans import PLACEHOLDERS, PLANS
from tests.conftest import COMMITTED_STUDENT, ROOT, make_photo, multistyle_weights

README = ROOT / "README.md"
DOC_PAGES = [README, *sorted((ROOT / "docs").rglob("*.md"))]  # every page whose bash blocks are tested

# ------------------------------------------------------------------------------------------- README


@dataclass(frozen=True)
class Command:
    page: str  # the page, relative to the repository root
    line: int  # page line the command starts on
    text: str  # continuation lines joined, trailing comment dropped

    @property
    def where(self) -> str:
        return f"{self.page} line {self.line}"


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
    """The commands of every page's bash blocks, page by page, in page order."""
    return [c for page in DOC_PAGES for c in page_commands(page)]


def page_commands(page: Path) -> list[Command]:
    text = page.read_text()
    name = page.relative_to(ROOT).as_posix()
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
                out.append(Command(name, first + start, cmd))
    return out


# ---------------------------------------------------------------------------------------- the plans


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
    from stylelite.export.api import export_model

    weights, _ = multistyle_weights(path.with_suffix(".safetensors"), ["ink", "wash"])
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
    "bikes.mp4": _make_clip,  # stands in for the data extra's bikes clip written as a file
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
        order = list(dict.fromkeys(c.text for c in readme_commands() if PLANS.get(c.text, Plan()).folder == TEMPORAL))
        return tuple(order[: order.index(text)])


@pytest.fixture(scope="module")
def workspace(tmp_path_factory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("readme"))


# -------------------------------------------------------------------------------------------- tests

COMMANDS = readme_commands()


def _id(c: Command) -> str:
    words = [w for w in c.text.split() if not w.startswith("-")]
    verb = next((words[i + 1] for i, w in enumerate(words[:-1]) if w == "stylelite"), words[0])
    return f"{c.page.removeprefix('docs/').removesuffix('.md')}:L{c.line}-{verb}"


def _marks(plan: Plan) -> list:
    marks = [pytest.mark.slow] if plan.slow else []
    if plan.bug:
        marks.append(pytest.mark.xfail(strict=True, raises=KnownBug, reason=plan.bug))
    return marks


def test_every_readme_command_has_a_plan():
    missing = [f"{c.where}: {c.text}" for c in COMMANDS if c.text not in PLANS]
    assert not missing, "add these documented commands to PLANS (run at tiny sizes, or why not):\n" + "\n".join(missing)
    stale = set(PLANS) - {c.text for c in COMMANDS}
    assert not stale, f"PLANS entries in neither README.md nor docs/: {sorted(stale)}"


def test_the_docs_pages_are_read():
    pages = {c.page for c in COMMANDS}
    assert {"README.md", "docs/getting-started.md", "docs/guides/run-serve-stream.md"} <= pages, sorted(pages)


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
                pytest.fail(f"{cmd.where} does not parse: {part}\n{capsys.readouterr().err}")
        elif argv[:2] == ["python", "-c"]:
            compile(argv[2], cmd.where, "exec")
        elif argv[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(argv[2]), f"{cmd.where}: no module {argv[2]}"
        elif argv[0] == "python":
            assert (ROOT / argv[1]).is_file(), f"{cmd.where}: no script {argv[1]}"
        elif argv[0] == "pytest" and any(a.endswith("device_tests") for a in argv):
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
        assert proc.returncode == 0, f"{cmd.where} failed: {typed}\n{out}"
        assert "Traceback" not in proc.stderr, f"{cmd.where}: {typed}\n{out}"
    folder = workspace.folder(plan)
    for name in plan.creates:
        assert (folder / name).exists(), f"{cmd.where}: {cmd.text} did not write {name}"
