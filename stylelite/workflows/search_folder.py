"""A search's output folder: what each reused file was made from, checked before it is reused.

A search resumes by reusing the teacher export, each candidate's trained student and export, and the
clip it already made. `search-files.json` records, for each of those files, the settings that produced
it and the file's digest. A second search in the same folder reuses a file only when it asks for the
same settings; with other settings (another teacher, steps, seed, crop, data, clip size ...) the search
is refused in one line naming the setting, rather than redone: redoing would silently delete the first
search's results. A recorded file whose digest changed (truncated, edited) is refused in one line naming
it. Candidates may differ between two searches: a candidate trained with the same settings is reused,
a new one is trained.

What a killed search leaves is cleaned when it resumes: the exporter's `.*.unverified.onnx` temporary
files, the atomic writers' `.*.tmp` files, and candidate run folders no record names (a run killed
before it finished).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

from stylelite.runtime.errors import ConfigError, InputError
from stylelite.runtime.json_text import loads_bounded

RECORD = "search-files.json"
_RUN = re.compile(r"^\d{5}-")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _entry_ok(entry) -> bool:
    """A record entry as made() writes it: {"settings": {...}, "sha256": "..."}."""
    return isinstance(entry, dict) and isinstance(entry.get("settings"), dict) and isinstance(entry.get("sha256"), str)


class SearchFolder:
    """The search folder `out` and its record of made files (relative path -> settings and sha256)."""

    def __init__(self, out: str | Path) -> None:
        from stylelite.runtime.files import write_error

        self.out = Path(out)
        if self.out.exists() and not self.out.is_dir():
            raise ConfigError(f"-o {self.out} is a file: give a folder for the search (a new one, or a search's)")
        record = self.out / RECORD
        if record.is_file():
            try:
                files = loads_bounded(record.read_text(encoding="utf-8")).get("files")
            except (OSError, ValueError, AttributeError, RecursionError):  # RecursionError: absurdly nested
                files = None
            if not isinstance(files, dict) or not all(_entry_ok(e) for e in files.values()):
                raise InputError(f"{record} is unreadable: remove {self.out} and run the search again")
            self.files = files
        else:
            made = [p.name for p in (self.out / "models", self.out / "runs") if p.exists()]
            made += [p.name for p in self.out.glob("clip_*.mp4")]
            if made:
                raise ConfigError(
                    f"{self.out} holds a search's files ({made[0]}) but no {RECORD} saying what made them: give "
                    f"another -o folder, or remove {self.out} to search again"
                )
            self.files = {}
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            (self.out / "models").mkdir(exist_ok=True)
        except OSError as exc:
            raise write_error(exc, self.out) from None

    def clean(self) -> None:
        """Remove what a killed search left: temporary files, and run folders of unfinished candidates."""
        for tmp in [*self.out.glob(".*.tmp"), *(self.out / "models").glob(".*.unverified.onnx")]:
            tmp.unlink(missing_ok=True)
        recorded = {Path(k).parent for k in self.files}
        runs = self.out / "runs"
        for run in runs.glob("*/*") if runs.is_dir() else ():
            if run.is_dir() and _RUN.match(run.name) and run.relative_to(self.out) not in recorded:
                shutil.rmtree(run, ignore_errors=True)

    def reusable(self, path: Path, settings: dict) -> bool:
        """Whether `path` (inside the folder) was made by a search with `settings` and is unchanged since.

        Raises:
            ConfigError: it was made with other settings (names the first that differs).
            InputError: it changed after it was made (truncated, edited) or has no record.
        """
        key = path.relative_to(self.out).as_posix()
        entry = self.files.get(key)
        if entry is None:
            return False
        if not path.is_file():
            return False
        theirs = entry.get("settings", {})
        ours = json.loads(json.dumps(settings))  # tuples as lists, as the record holds them
        for name in sorted(set(ours) | set(theirs)):
            if ours.get(name) != theirs.get(name):
                raise ConfigError(
                    f"{self.out} holds {key} made with {name} {theirs.get(name)!r}, not {ours.get(name)!r}: give "
                    f"another -o folder for this search, or remove {self.out} to redo it"
                )
        if file_sha256(path) != entry.get("sha256"):
            raise InputError(
                f"{path} changed after the search made it (truncated or edited): remove it and run the search again"
            )
        return True

    def made(self, path: Path, settings: dict) -> None:
        """Record that `path` was made with `settings` (its digest now)."""
        from stylelite.runtime.files import write_json_atomic

        key = path.relative_to(self.out).as_posix()
        self.files[key] = {"settings": json.loads(json.dumps(settings)), "sha256": file_sha256(path)}
        write_json_atomic(self.out / RECORD, {"files": self.files})
