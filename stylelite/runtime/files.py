"""Atomic file writes: a crash or a full disk never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it over `path` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        replace_into(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


# what an OSError's errno means to someone writing an output file
_WRITE_REASONS = {
    errno.ENOSPC: "the disk is full (free some space or write somewhere else)",
    errno.EDQUOT: "the disk quota is used up (free some space or write somewhere else)",
    errno.EFBIG: "the file-size limit was hit (ulimit -f, or the largest file this file system holds)",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder",
    errno.ENOENT: "its folder does not exist",
}


def write_error(exc: OSError, path: str | os.PathLike):
    """An InputError that says, in one line, why writing the output `path` failed (the real output's
    name, never a temporary one): disk full, file-size limit, read-only, permission denied, ..."""
    from stylelite.runtime.errors import InputError

    reason = _WRITE_REASONS.get(getattr(exc, "errno", None)) or (getattr(exc, "strerror", None) or str(exc))
    return InputError(f"writing {path} failed: {reason}")


def check_writable_folder(folder: str | os.PathLike, output: str | os.PathLike) -> None:
    """Raise InputError (one line) when `output` cannot be written because `folder`, where it goes, is not
    a folder or is not writable; checked on the nearest folder that exists, so nothing is created here."""
    from stylelite.runtime.errors import InputError

    probe = Path(os.path.abspath(folder))
    while not probe.exists() and not probe.is_symlink() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(f"cannot write {output}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        why = "read-only" if _read_only(probe) else "not writable by this user"
        raise InputError(f"cannot write {output}: the folder {probe} is {why}")


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def replace_into(tmp: str | os.PathLike, path: str | os.PathLike) -> None:
    """Rename a finished temporary file over `path`, with the usual umask-based mode (mkstemp makes 0600)."""
    if Path(tmp).exists():
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
    os.replace(tmp, path)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(path: str | os.PathLike, data: Any) -> None:
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=False, default=str) + "\n")


def append_jsonl(path: str | os.PathLike, record: dict) -> None:
    """Append one JSON record as a line (a torn last line is skipped by readers). Non-finite floats are
    written as null, so every line stays strictly valid JSON."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(_finite_or_null(record), default=str, allow_nan=False) + "\n")


def _finite_or_null(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite_or_null(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_null(v) for v in value]
    return value


def read_jsonl(path: str | os.PathLike) -> list[dict]:
    """The JSON lines of a file the tool wrote; a file that is not UTF-8 text is an InputError (one line)."""
    from stylelite.runtime.errors import InputError

    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a JSON-lines file (its bytes are not UTF-8 text)") from None
    records = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # an interrupted append; the rest of the file is intact
    return records


def read_toml(path: str | os.PathLike, what: str, error: type[Exception]) -> dict:
    """Parse a TOML file people write (an inventory, a budget file); a missing or malformed file
    raises `error` with a one-line message that names `what` it was meant to be."""
    import sys

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    path = Path(path)
    if not path.is_file():
        raise error(f"{what} not found: {path}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML ({exc})") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte {exc.start}); save the {what} as UTF-8") from None
