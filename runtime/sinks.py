"""Where stylized frames go: a video file (with the input's audio), an image folder, an image, a window.

A sink is opened before the first frame and closed once: `close(keep=True)` finishes the file so it
plays (a run that stopped early keeps what it wrote), `close(keep=False)` removes the partial output.
Video files are written under a temporary name and renamed into place when complete.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from stylelite.runtime.errors import InputError
from stylelite.runtime.files import atomic_path, replace_into
from stylelite.runtime.video import VideoWriter, is_image, is_video, write_image


class FrameSink:
    kind = "sink"
    frames = 0  # frames written so far

    def write(self, rgb: np.ndarray, index: int, name: str = "") -> None:
        raise NotImplementedError

    def close(self, keep: bool = True) -> None:
        pass


class VideoFileSink(FrameSink):
    """A video file (runtime.video.VideoWriter); `audio_from` (a file) has its audio track copied in unchanged."""

    kind = "video"

    def __init__(self, path: str | Path, fps: float, audio_from: str | Path | None = None) -> None:
        self.path = Path(path)
        self.fps = fps
        self.audio_from = Path(audio_from) if audio_from else None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=self.path.suffix, dir=self.path.parent)
        os.close(fd)
        self.tmp = Path(tmp)
        self._writer: VideoWriter | None = None
        self.frames = 0

    def write(self, rgb: np.ndarray, index: int, name: str = "") -> None:
        if self._writer is None:  # sized by the first frame (a stream's size is known only then)
            self._writer = VideoWriter(self.tmp, self.fps, (rgb.shape[1], rgb.shape[0]))
        elif (rgb.shape[1], rgb.shape[0]) != self._writer.size:
            w, h = self._writer.size
            raise InputError(
                f"frame {index} is {rgb.shape[1]}x{rgb.shape[0]} but the video is {w}x{h}: "
                "the input changed size; write to a folder instead"
            )
        self._writer.write(rgb)
        self.frames += 1

    def close(self, keep: bool = True) -> None:
        if self._writer is not None:
            self._writer.close()
        try:
            if not keep or self.frames == 0:
                return
            if self.audio_from is not None:
                from stylelite.runtime.audio import mux_audio

                muxed = self.tmp.with_name(self.tmp.stem + ".av" + self.tmp.suffix)
                try:
                    mux_audio(self.tmp, self.audio_from, muxed)
                    muxed.replace(self.tmp)
                finally:
                    muxed.unlink(missing_ok=True)
            replace_into(self.tmp, self.path)
        finally:
            self.tmp.unlink(missing_ok=True)


class FolderSink(FrameSink):
    """One PNG per frame: the input file's name for folder inputs, else frame_000000.png, ..."""

    kind = "folder"

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.frames = 0

    def write(self, rgb: np.ndarray, index: int, name: str = "") -> None:
        stem = Path(name).stem if name else f"frame_{index:06d}"
        write_image(self.folder / f"{stem}.png", rgb)
        self.frames += 1


class ImageSink(FrameSink):
    kind = "image"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.frames = 0

    def write(self, rgb: np.ndarray, index: int, name: str = "") -> None:
        with atomic_path(self.path) as tmp:
            tmp_img = tmp.with_suffix(self.path.suffix)
            try:
                write_image(tmp_img, rgb)
                tmp_img.replace(tmp)
            finally:
                tmp_img.unlink(missing_ok=True)
        self.frames += 1


class StopRequested(Exception):
    """The user closed the window or pressed q/Esc."""


class WindowSink(FrameSink):
    """An OpenCV window (needs a display and an OpenCV build with GUI support)."""

    kind = "window"

    def __init__(self, title: str = "stylelite") -> None:
        import cv2

        self.title = title
        if os.name != "nt" and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            raise InputError("--show needs a display (DISPLAY is not set); write to a file or use `stylelite serve`")
        try:
            cv2.namedWindow(self.title, cv2.WINDOW_NORMAL)
        except cv2.error:
            raise InputError(
                "this OpenCV build has no window support (opencv-python-headless); "
                "pip install opencv-python for --show, or use `stylelite serve` to watch in a browser"
            ) from None
        self.frames = 0

    def write(self, rgb: np.ndarray, index: int, name: str = "") -> None:
        import cv2

        cv2.imshow(self.title, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
        self.frames += 1
        if cv2.waitKey(1) & 0xFF in (ord("q"), 27) or cv2.getWindowProperty(self.title, cv2.WND_PROP_VISIBLE) < 1:
            raise StopRequested

    def close(self, keep: bool = True) -> None:
        import cv2

        cv2.destroyWindow(self.title)


def open_sink(output: str | Path, source_kind: str, fps: float, audio_from: str | Path | None = None) -> FrameSink:
    """A sink for `output`, checked against what the source gives (a folder of images cannot become one image)."""
    out = Path(output)
    if is_video(out):
        if source_kind == "image":
            raise InputError(f"the input is one image, so the output must be an image, not {out.name}")
        return VideoFileSink(out, fps, audio_from=audio_from)
    if is_image(out):
        if source_kind != "image":
            raise InputError(
                f"the input is a {source_kind}, so the output must be a video file (.mp4, .mkv) or a folder, "
                f"not {out.name}"
            )
        return ImageSink(out)
    if out.suffix:
        raise InputError(f"{out.name}: unsupported output type; use a video (.mp4, .mkv, .avi), an image or a folder")
    return FolderSink(out)
