"""Load a `torch.export` archive (.pt2) without unpickling anything.

`torch.export.load` unpickles parts of the archive: sample inputs and pickled weights go through
`torch.load`, which retries with `weights_only=False` (any pickle, any code) when the safe load fails;
opaque constants go through `pickle.loads`; AOTInductor members are native libraries it loads. So an
archive is read here in three steps: its bytes once into memory (what is checked is what is loaded),
its member list and payload configs against what a plain exported program holds (graph JSON, raw
tensors, one tensor-only sample-inputs file), and then `torch.export.load` on those bytes with
`TORCH_FORCE_WEIGHTS_ONLY_LOAD` set, so every `torch.load` inside it stays weights-only even where
torch asks for `weights_only=False`. Anything else is refused in one line, before anything is read.
"""

from __future__ import annotations

import io
import json
import logging
import os
import pickle
import re
import zipfile
from contextlib import contextmanager
from pathlib import Path

from stylelite.runtime.errors import InputError

MAX_PT2_BYTES = 4 << 30  # a generator's archive; larger ones are refused before reading
# members of a plain exported program, below the archive's own folder
_PLAIN_MEMBERS = (
    r"archive_format",
    r"archive_version",
    r"byteorder",
    r"version",
    r"\.data/[\w.]+",
    r"models/\w+\.json",
    r"data/sample_inputs/\w+\.pt",
    r"data/weights/weight_\d+",
    r"data/weights/\w+_weights_config\.json",
    r"data/constants/tensor_\d+",
    r"data/constants/\w+_constants_config\.json",
    r"extra/[\w.\-/]+",
)
_PLAIN = re.compile("|".join(f"(?:{p})" for p in _PLAIN_MEMBERS))


def load_exported_program(path: str | Path):
    """The ExportedProgram in `path`; InputError (one line) for an archive that is damaged or holds
    anything but graph JSON and raw tensors (pickled objects, native code)."""
    import torch

    path = Path(path)
    size = path.stat().st_size
    if size > MAX_PT2_BYTES:
        raise InputError(f"{path.name} is {size / 1e9:.1f} GB: larger than any generator stylelite distils from")
    data = path.read_bytes()
    check_plain_archive(path.name, data)
    try:
        with _weights_only_loads(), _quiet("torch.export", "torch._export"):
            program = torch.export.load(io.BytesIO(data))
    except pickle.UnpicklingError:
        raise InputError(
            f"{path.name} holds a pickle that is not plain tensors, and stylelite does not unpickle code: re-save "
            "it with torch.export.save from a program whose inputs, weights and constants are plain tensors"
        ) from None
    except Exception as exc:
        first = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{path.name} is not a loadable torch.export archive ({first})") from None
    return program


def check_plain_archive(name: str, data: bytes) -> None:
    """InputError unless the zip `data` holds only what a plain exported program does (see module doc)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            members = z.namelist()
            unpacked = sum(i.file_size for i in z.infolist())
            if unpacked > MAX_PT2_BYTES:  # a zip bomb: members that inflate far beyond the archive
                raise InputError(f"{name} unpacks to {unpacked / 1e9:.1f} GB: larger than any generator's archive")
            configs = {m: z.read(m) for m in members if m.endswith(("_weights_config.json", "_constants_config.json"))}
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise InputError(f"{name} is not a readable .pt2 archive ({exc})") from None
    for member in members:
        inner = member.split("/", 1)[1] if "/" in member else member
        if not _PLAIN.fullmatch(inner) or ".." in inner.split("/"):
            raise InputError(
                f"{name} holds {inner!r}, which is not part of a plain torch.export program (graph JSON and "
                "raw tensors); stylelite does not unpickle objects or load native code from a .pt2: re-save it "
                "with torch.export.save from a program whose weights and constants are plain tensors"
            )
    for member, raw in configs.items():
        try:
            entries = json.loads(raw)["config"]
            pickled = [k for k, v in entries.items() if v.get("use_pickle") or "/" in str(v.get("path_name", ""))]
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InputError(f"{name}: {member.split('/', 1)[-1]} is not a readable payload config") from None
        if pickled:
            raise InputError(
                f"{name} stores {pickled[0]!r} as a pickle, and stylelite does not unpickle: re-save it with "
                "torch.export.save from a program whose weights are plain tensors"
            )


@contextmanager
def _quiet(*loggers: str):
    """torch.export logs each failed attempt with its traceback; the caller reports it in one line."""
    saved = [(logging.getLogger(n), logging.getLogger(n).level) for n in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


@contextmanager
def _weights_only_loads():
    """Every torch.load in this block is weights-only, whatever its caller asks (torch's own switch)."""
    saved = {k: os.environ.get(k) for k in ("TORCH_FORCE_WEIGHTS_ONLY_LOAD", "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD")}
    os.environ["TORCH_FORCE_WEIGHTS_ONLY_LOAD"] = "1"
    os.environ.pop("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
