"""Uploads of a clip or a model: size-limited, checked by suffix and by content, never left half-written.

A body streams into `incoming/` inside a private temporary folder the server owns (mode 0700); only
once it is complete, within its limit and its content checks out (a clip opens with OpenCV and
decodes a frame; a model loads with stylelite.runtime.engines.load_engine and stylizes a test frame) is it
renamed into `kept/`. Anything else is deleted and reported as an UploadError with its HTTP status.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import weakref
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np

from stylelite.runtime.errors import InputError, StyleliteError
from stylelite.runtime.video import VIDEO_SUFFIXES

MB = 1024 * 1024
KINDS = ("clip", "model")
MODEL_SUFFIXES = (".onnx", ".tflite")


class UploadError(InputError):
    """An upload the server refuses; `status` is the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def check_clip(path: Path) -> tuple[float, int, int]:
    """(fps, width, height) of a clip OpenCV opens and decodes a frame of; else UploadError 422."""
    from stylelite.runtime.video import iter_video, video_info

    try:
        fps, _, w, h = video_info(path)
        next(iter_video(path, max_frames=1))
    except InputError as exc:
        raise UploadError(422, f"not a playable video: {exc}") from None
    return fps, w, h


def check_model(path: Path, threads: int = 0, options=None):
    """The Engine of a model that loads and stylizes a test frame; else UploadError 422."""
    from stylelite.runtime.engines import load_engine

    try:
        engine = load_engine(path, threads=threads, options=options)
        h, w = engine.meta.height or 64, engine.meta.width or 64
        engine.stylize(np.zeros((h, w, 3), np.uint8))
    except StyleliteError as exc:
        raise UploadError(422, f"not a usable stylelite model: {exc}") from None
    except Exception as exc:  # a runtime's own error on a graph it loaded but cannot run
        raise UploadError(
            422, f"the model loaded but failed on a test frame: {str(exc).splitlines()[0][:200]}"
        ) from None
    return engine


class UploadStore:
    """The server's private upload folder; `close()` (or the interpreter's exit) removes it and its files."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="stylelite-serve-"))  # mode 0700
        (self.root / "incoming").mkdir()
        (self.root / "kept").mkdir()
        self._ids = itertools.count(1)
        self._kept: dict[str, Path] = {}
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.root, True)  # also at interpreter exit

    def files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.is_file())

    async def receive(
        self, kind: str, filename: str, chunks: AsyncIterator[bytes], limit_mb: float, declared: int | None, check
    ) -> tuple[Path, object]:
        """Stream `chunks` to disk, check them with `check(path)` (run off the event loop), keep the file.

        Returns (kept path, what `check` returned). The previous upload of the same kind is deleted.
        """
        import asyncio

        suffix = _suffix(kind, filename)
        limit = int(limit_mb * MB)
        if limit == 0:
            raise UploadError(403, f"{kind} uploads are turned off on this server (--max-{kind}-mb 0)")
        if declared is not None and declared > limit:
            raise UploadError(413, _too_big(kind, declared, limit_mb))
        tmp = self.root / "incoming" / f"{next(self._ids):04d}{suffix}"
        try:
            size = 0
            with open(tmp, "wb") as f:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > limit:
                        raise UploadError(413, _too_big(kind, size, limit_mb, at_least=True))
                    f.write(chunk)
            if size == 0:
                raise UploadError(400, f"the {kind} upload is empty: send the file as the request body")
            result = await asyncio.to_thread(check, tmp)
            kept = self.root / "kept" / f"{kind}-{tmp.name}"
            tmp.replace(kept)
        finally:
            tmp.unlink(missing_ok=True)
        old = self._kept.get(kind)
        if old is not None:
            old.unlink(missing_ok=True)
        self._kept[kind] = kept
        return kept, result

    def close(self) -> None:
        self._cleanup()


def _suffix(kind: str, filename: str) -> str:
    if kind not in KINDS:
        raise UploadError(404, f"unknown upload kind {kind!r}: use {' or '.join(KINDS)}")
    allowed = VIDEO_SUFFIXES if kind == "clip" else MODEL_SUFFIXES
    suffix = Path(filename or "").suffix.lower()
    if suffix not in allowed:
        raise UploadError(
            415, f"{filename or 'the upload'!s}: a {kind} must be a {', '.join(allowed)} file (give ?filename=NAME)"
        )
    return suffix


def _too_big(kind: str, size: int, limit_mb: float, at_least: bool = False) -> str:
    more = "more than " if at_least else ""
    return f"the {kind} is too large ({more}{size / MB:.1f} MB): the limit is {limit_mb:g} MB (--max-{kind}-mb)"
