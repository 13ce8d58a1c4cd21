"""Frame sources: video files, image folders, single images, webcams and network streams.

`open_source(spec)` picks the source from what `spec` looks like: a camera index (`0`) or
device (`/dev/video0`), a stream URL (`rtsp://`, `http(s)://`, `udp://`, `tcp://`, `rtmp://`),
a folder, an image or a video file. Every source yields `Frame`s of uint8 RGB (grey and RGBA
inputs are converted), with the time each frame was captured.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from stylelite.runtime.errors import InputError
from stylelite.runtime.video import (
    IMAGE_SUFFIXES,
    VIDEO_SUFFIXES,
    is_image,
    is_video,
    list_images,
    open_video,
    read_image,
    rgb_of_decoded,
)

STREAM_SCHEMES = ("rtsp://", "rtsps://", "http://", "https://", "udp://", "tcp://", "rtmp://", "srt://")
STREAM_TIMEOUT_MS = 10_000  # how long a stream may take to open, or go silent, before it counts as stopped


@dataclass
class Frame:
    index: int  # 0-based position in the source
    rgb: np.ndarray  # uint8 [H,W,3]
    t_capture: float  # time.perf_counter() when the frame was captured (or was due, for a paced file)
    name: str = ""  # file name, for folder sources


class FrameSource:
    """Iterate once for the frames. `fps` is the source's own rate; `total` is None when unknown (live)."""

    kind = "source"
    live = False  # a camera or stream: frames arrive in real time whether or not they are consumed

    def __init__(self, name: str, fps: float, size: tuple[int, int], total: int | None) -> None:
        self.name, self.fps, self.size, self.total = name, fps, size, total
        self.ended_early = ""  # why the source stopped before its announced end ("" when it did not)

    def __iter__(self) -> Iterator[Frame]:
        raise NotImplementedError

    def describe(self) -> str:
        w, h = self.size
        n = f"{self.total} frames" if self.total else "live"
        return f"{self.kind} {self.name} ({w}x{h}, {self.fps:g} fps, {n})"


class CaptureSource(FrameSource):
    """Anything OpenCV's VideoCapture opens: a file, a camera or a stream."""

    def __init__(
        self,
        cap: cv2.VideoCapture,
        name: str,
        kind: str,
        realtime: bool = False,
        loop: bool = False,
        max_frames: int | None = None,
        reopen=None,
    ) -> None:
        fps = cap.get(cv2.CAP_PROP_FPS)
        fps = fps if 0 < fps < 1000 else 25.0
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        total = count if kind == "video" and count > 0 else None
        if max_frames is not None:
            total = min(total, max_frames) if total else max_frames
        super().__init__(name, fps, size, None if loop else total)
        self.kind, self.live = kind, kind in ("camera", "stream")
        self.cap, self.realtime, self.loop, self.max_frames, self._reopen = cap, realtime, loop, max_frames, reopen
        self._announced = count if kind == "video" else 0

    def __iter__(self) -> Iterator[Frame]:
        start = time.perf_counter()
        i = 0
        try:
            while self.max_frames is None or i < self.max_frames:
                ok, bgr = self.cap.read()
                if not ok and self.loop and self._reopen is not None and i > 0:
                    self.cap.release()
                    self.cap = self._reopen()
                    ok, bgr = self.cap.read()
                if not ok:
                    break
                if self.realtime:  # play a file at its own frame rate, as a camera would deliver it
                    due = start + i / self.fps
                    delay = due - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                yield Frame(i, rgb_of_decoded(bgr), time.perf_counter())
                i += 1
        finally:
            self.cap.release()
        if i == 0:
            raise InputError(f"{self.name} gave no frames ({_no_frames_hint(self.kind)})")
        self.ended_early = self._early(i)

    def _early(self, n: int) -> str:
        if self.live:
            return f"the {self.kind} stopped after {n} frames"
        want = min(self._announced, self.max_frames or self._announced)
        if self._announced and not self.loop and n < 0.98 * want:
            return f"{self.name} ended after {n} of {self._announced} frames (truncated or corrupt file)"
        return ""


class FolderSource(FrameSource):
    """The images of a folder, in name order. An entry that cannot be read (a broken or empty file, a
    dangling link, a folder named like an image) is skipped and listed in `skipped`, so one bad file
    never costs the others; a folder with no readable image at all is an InputError."""

    kind = "folder"

    def __init__(self, folder: Path, max_frames: int | None = None, realtime: bool = False, fps: float = 25.0) -> None:
        self.files = list_images(folder)[:max_frames]
        self.skipped: list[str] = []  # "name (why)" of each entry that could not be read
        first = None
        for f in self.files:
            first = self._read(f)
            if first is not None:
                break
        if first is None:
            raise InputError(f"{folder} holds no readable image: {', '.join(self.skipped)}")
        self.skipped.clear()  # listed again, once, as the frames are read
        super().__init__(str(folder), fps, (first.shape[1], first.shape[0]), len(self.files))
        self.realtime = realtime

    def _read(self, path: Path) -> np.ndarray | None:
        """The image, or None with the reason appended to `skipped`."""
        if path.is_dir():
            why = "a folder"
        elif not path.exists():
            why = "a link to a missing file" if path.is_symlink() else "gone"
        else:
            try:
                if path.stat().st_size == 0:
                    why = "an empty file"
                else:
                    return read_image(path)
            except (InputError, OSError):
                why = "not a readable image"
        self.skipped.append(f"{path.name} ({why})")
        return None

    def __iter__(self) -> Iterator[Frame]:
        start = time.perf_counter()
        for i, f in enumerate(self.files):
            if self.realtime:
                time.sleep(max(0.0, start + i / self.fps - time.perf_counter()))
            rgb = self._read(f)
            if rgb is not None:
                yield Frame(i, rgb, time.perf_counter(), name=f.name)


class ImageSource(FrameSource):
    kind = "image"

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise InputError(f"image not found: {path}")
        self.image = read_image(path)
        super().__init__(str(path), 1.0, (self.image.shape[1], self.image.shape[0]), 1)

    def __iter__(self) -> Iterator[Frame]:
        yield Frame(0, self.image, time.perf_counter(), name=Path(self.name).name)


def camera_index(spec: str | int | Path) -> int | str | None:
    """0 / "0" -> 0; "/dev/video2" -> the path; anything else -> None."""
    if isinstance(spec, int):
        return spec
    text = str(spec)
    if text.isdigit():
        return int(text)
    if text.startswith("/dev/video"):
        return text
    return None


def is_stream(spec: str | Path) -> bool:
    return str(spec).lower().startswith(STREAM_SCHEMES)


def open_source(
    spec: str | int | Path,
    realtime: bool = False,
    loop: bool = False,
    max_frames: int | None = None,
) -> FrameSource:
    """Open `spec` as a frame source.

    Args:
        spec: camera index or /dev/videoN, stream URL, folder, image or video file.
        realtime: deliver a file's (or folder's) frames at its own frame rate, as a camera would.
        loop: start a video file again at its end (live previews of a clip).
        max_frames: stop after this many frames.
    """
    cam = camera_index(spec)
    if cam is not None:
        cap = cv2.VideoCapture(cam, cv2.CAP_V4L2) if isinstance(cam, int) else cv2.VideoCapture(cam)
        if not cap.isOpened():
            raise InputError(
                f"no camera at {cam!r}: check that one is connected and free (ls /dev/video*), or pass a file or URL"
            )
        return CaptureSource(cap, f"camera {cam}", "camera", max_frames=max_frames)
    if is_stream(spec):
        url = str(spec)
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, STREAM_TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC, STREAM_TIMEOUT_MS]
        cap = cv2.VideoCapture(url, cv2.CAP_FFMPEG, params)
        if not cap.isOpened():
            raise InputError(f"cannot open stream {url} (unreachable, wrong path, or a format FFmpeg cannot read)")
        return CaptureSource(cap, url, "stream", max_frames=max_frames)
    path = Path(spec)
    if path.is_dir():
        return FolderSource(path, max_frames=max_frames, realtime=realtime)
    if is_image(path):
        return ImageSource(path)
    if is_video(path):

        def reopen() -> cv2.VideoCapture:
            return open_video(path)

        return CaptureSource(
            reopen(), path.name, "video", realtime=realtime, loop=loop, max_frames=max_frames, reopen=reopen
        )
    if not path.exists():
        raise InputError(f"input not found: {path}")
    raise InputError(
        f"{path.name}: not a video ({', '.join(VIDEO_SUFFIXES)}), image ({', '.join(IMAGE_SUFFIXES)}), folder, "
        "camera index or stream URL"
    )


def _no_frames_hint(kind: str) -> str:
    return {
        "video": "corrupt or empty video",
        "camera": "the camera opened but sent nothing; is another program using it?",
        "stream": "the stream opened but sent nothing before it stopped",
    }.get(kind, "empty")
