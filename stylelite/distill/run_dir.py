"""Run folders: numbered, holding the resolved config, dependency versions and logs."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.metadata
import json
import math
import os
import platform
import re
from pathlib import Path

from stylelite.runtime.errors import ConfigError
from stylelite.runtime.files import append_jsonl, read_jsonl, write_json_atomic
from stylelite.runtime.json_text import loads_bounded

_VERSIONED = (
    "torch",
    "onnx",
    "onnxruntime",
    "opencv-python-headless",
    "numpy",
    "safetensors",
    "scikit-image",
    "stylelite",
)


def dependency_versions() -> dict[str, str]:
    """Versions of Python and the packages a run depends on (those installed)."""
    out = {"python": platform.python_version()}
    for pkg in _VERSIONED:
        try:
            out[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            pass
    return out


def new_run_dir(root: str | Path, label: str) -> Path:
    """runs/00012-label/: the next free number under `root`."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := re.match(r"(\d{5})-", p.name))]
    run = root / f"{max(numbers, default=0) + 1:05d}-{label}"
    run.mkdir()
    return run


# fields that name a file or folder on this machine: config.json records them relative to the run folder
# (`../../labels`), or to the stylelite package (`stylelite:models/weights/x.safetensors`) for its own files,
# never as this machine's absolute paths; read_run_config resolves them back
PATH_FIELDS = ("teacher_checkpoint", "init_from", "labels", "vgg", "flow_cache")
PATHS_KEY = "paths_relative_to"  # in a config.json whose path fields are recorded so: "run folder"
PACKAGE_PREFIX = "stylelite:"


def _package_dir() -> Path:
    import stylelite

    return Path(stylelite.__file__).resolve().parent


def portable_path(value: str, run: Path) -> str:
    """`value` (a path as typed, relative to the working folder) as config.json records it: relative to the
    stylelite package when it lies inside it, else relative to the run folder."""
    if value.startswith(PACKAGE_PREFIX):
        return value
    absolute = Path(os.path.abspath(value))
    with contextlib.suppress(ValueError):
        return PACKAGE_PREFIX + absolute.resolve().relative_to(_package_dir()).as_posix()
    try:
        return Path(os.path.relpath(absolute, os.path.abspath(run))).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return str(absolute)


def resolved_path(value: str, run: Path) -> str:
    """A recorded path back as a path usable from the working folder."""
    if value.startswith(PACKAGE_PREFIX):
        return str(_package_dir() / value.removeprefix(PACKAGE_PREFIX))
    return os.path.normpath(os.path.join(run, value))


def save_resolved_config(run: Path, config) -> None:
    """config.json (the dataclass or dict as resolved, its path fields portable) and versions.json into `run`."""
    data = dataclasses.asdict(config) if dataclasses.is_dataclass(config) else dict(config)
    recorded = {k: portable_path(data[k], run) for k in PATH_FIELDS if isinstance(data.get(k), str) and data[k]}
    if recorded:
        data = {**data, **recorded, PATHS_KEY: "run folder"}
    write_json_atomic(run / "config.json", data)
    write_json_atomic(run / "versions.json", dependency_versions())
    digests = _input_digests(dataclasses.asdict(config) if dataclasses.is_dataclass(config) else dict(config))
    if digests:  # what a resume checks it continues against
        write_json_atomic(run / INPUTS_FILE, digests)


INPUTS_FILE = "inputs.json"  # {field: {"sha256": hex}} of each teacher file the config names
_HASHED_FIELDS = ("teacher", "teacher_checkpoint")


def _input_digests(data: dict) -> dict[str, dict[str, str]]:
    """{field: {"sha256": hex}} for the `_HASHED_FIELDS` of `data` that name files."""
    return {
        key: {"sha256": _sha256(Path(data[key]))}
        for key in _HASHED_FIELDS
        if isinstance(data.get(key), str) and data[key] and Path(data[key]).is_file()
    }


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_inputs_unchanged(run: str | Path, saved) -> None:
    """ConfigError (one line) when a teacher file recorded in the run's inputs.json (the file `saved`, the
    run's config, names) is gone or holds other bytes now: a resume continues against the teacher the run
    started with, never a replaced one."""
    path = Path(run) / INPUTS_FILE
    if not path.exists() and not path.is_symlink():  # a run from before inputs.json, or of a registered teacher
        return
    try:
        recorded = {key: e["sha256"] for key, e in loads_bounded(path.read_text(encoding="utf-8")).items()}
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError):  # incl. UnicodeDecodeError
        recorded = None
    if not isinstance(recorded, dict) or not all(
        key in _HASHED_FIELDS and isinstance(d, str) and re.fullmatch(r"[0-9a-f]{64}", d) for key, d in recorded.items()
    ):  # only what _input_digests writes: a teacher field and a sha256 in hex
        raise ConfigError(f"{path} is unreadable: the run cannot tell whether its teacher changed")

    def given(key: str):
        return getattr(saved, key, None) if not isinstance(saved, dict) else saved.get(key)

    for key in _HASHED_FIELDS:  # a teacher file the run was started with must have its digest recorded
        file = given(key)
        if key not in recorded and isinstance(file, str) and file and Path(file).is_file():
            raise ConfigError(
                f"{path} records no digest of the {key} file {file}: the run cannot tell whether its teacher changed"
            )
    for key, digest in recorded.items():
        file = given(key)
        if not isinstance(file, str) or not Path(file).is_file():
            raise ConfigError(f"{run} was started with a {key} file ({file}) that is gone: put it back to resume")
        now = _sha256(Path(file))
        if now != digest:
            raise ConfigError(
                f"{key} {file} changed since {run} started (sha256 {digest[:12]}... then, {now[:12]}... now): a "
                "resume continues against the same teacher; put the original file back, or start a new run"
            )


def load_config_json(run: Path) -> dict:
    """The raw config.json of a run folder, its recorded paths resolved (usable from the working folder)."""
    config = json.loads((Path(run) / "config.json").read_text())
    if config.pop(PATHS_KEY, None) == "run folder":
        for k in PATH_FIELDS:
            if isinstance(config.get(k), str) and config[k]:
                config[k] = resolved_path(config[k], Path(run))
    return config


def made_by(config: dict) -> str:
    """The verb whose run folder holds `config`: distillation records a student, teachers do not."""
    return "distill" if "student" in config else "train-teacher"


def read_run_config(run: str | Path, verb: str) -> dict:
    """The config.json of `run`, checked to be a run folder of `stylelite VERB` (the one resume check).

    Raises:
        ConfigError: (one line) `run` holds no config.json, or another verb made it.
    """
    run = Path(run)
    if not (run / "config.json").is_file():
        raise ConfigError(
            f"{run} is not a run folder (no config.json): pass a folder that `stylelite {verb}` made, "
            "e.g. runs/00003-..."
        )
    config = load_config_json(run)
    other = made_by(config)
    if other != verb:
        raise ConfigError(f"{run} is a `stylelite {other}` run folder: resume it with stylelite {other} --resume {run}")
    return config


RESUME_MAY_CHANGE = ("save_every", "threads", "device", "flow_cache", "trust_graph_code")  # none changes the result


def apply_resume_options(run: str | Path, saved, given: dict):
    """`saved` (a run's frozen config) with the options a resume may change: a larger `steps` extends the
    run, `save_every`, `threads`, `device` and `flow_cache` change freely; any other option given with a
    value other than the saved one is a ConfigError naming it. When something changed, config.json is
    rewritten to say so. A teacher file that changed since the run started is a ConfigError too."""
    check_inputs_unchanged(run, saved)
    known = {f.name for f in dataclasses.fields(saved)}
    changes = {}
    for key, value in given.items():
        flag = "--" + key.replace("_", "-")
        if key not in known:
            raise ConfigError(f"{flag}: {run} was made without this option; drop it to resume the run")
        old = getattr(saved, key)
        if isinstance(old, tuple) and isinstance(value, list):
            value = tuple(value)
        if value == old or (key in PATH_FIELDS and value and old and os.path.abspath(value) == os.path.abspath(old)):
            continue
        if key == "steps":
            if value < old:
                raise ConfigError(
                    f"--steps {value}: a resume can only extend {run} ({old} steps); give --steps {old} or more"
                )
        elif key not in RESUME_MAY_CHANGE:
            raise ConfigError(
                f"{flag} {value}: {run} was started with {old}, and a resume continues that run unchanged; "
                f"drop {flag} (only --steps may extend it), or start a new run with it"
            )
        changes[key] = value
    if not changes:
        return saved
    config = dataclasses.replace(saved, **changes)
    save_resolved_config(Path(run), config)
    return config


def _without_tensorflow() -> None:
    """Make TensorBoard's event writer use its own TensorFlow stub: with TensorFlow installed (the tflite
    extra) it would import all of it, 7-12 s at every run's start, to write scalars the stub writes too.
    `tensorboard.compat.notf` is the switch TensorBoard itself checks for TF-free builds."""
    import sys
    import types

    sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))


class ScalarLog:
    """Scalars to a JSONL file and, when tensorboard is installed, to TensorBoard.

    Every line is strict JSON: a NaN or infinite value is written as null. `resumed_from` (a resume's
    start step) cuts the log back to that step, so no step appears twice, marks the first row logged after
    it with `"resumed_from": N`, and tells TensorBoard to drop the old events from that step on."""

    def __init__(self, run: Path, resumed_from: int | None = None) -> None:
        self.path = Path(run) / "log.jsonl"
        self.resumed_from = resumed_from
        if resumed_from is not None and self.path.is_file():
            from stylelite.runtime.files import write_text_atomic

            kept = [r for r in read_jsonl(self.path) if r.get("step", 0) <= resumed_from]
            write_text_atomic(self.path, "".join(json.dumps(r) + "\n" for r in kept))
        try:
            _without_tensorflow()
            from torch.utils.tensorboard import SummaryWriter

            purge = None if resumed_from is None else resumed_from + 1  # events after the resumed step go
            self.tb = SummaryWriter(str(Path(run) / "tb"), purge_step=purge)
        except ImportError:
            self.tb = None

    def log(self, step: int, **scalars: float) -> None:
        row = {"step": step, **{k: _json_number(v) for k, v in scalars.items()}}
        if self.resumed_from is not None:
            row["resumed_from"], self.resumed_from = self.resumed_from, None
        append_jsonl(self.path, row)
        if self.tb is not None:
            for k, v in scalars.items():
                self.tb.add_scalar(k, float(v), step)

    def close(self) -> None:
        if self.tb is not None:
            self.tb.close()


def _json_number(value: float) -> float | None:
    value = float(value)
    return round(value, 6) if math.isfinite(value) else None


def first_logged(run: Path, key: str) -> float | None:
    """The first value of `key` in the run's log.jsonl (None when it was never logged)."""
    path = Path(run) / "log.jsonl"
    rows = read_jsonl(path) if path.is_file() else []
    return next((r[key] for r in rows if key in r), None)
