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
from stylelite.runtime.files import check_writable_folder, replace_into, write_error
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
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=self.path.suffix, dir=self.path.parent)
        except OSError as exc:
            raise write_error(exc, self.path) from None
        os.close(fd)
        self.tmp = Path(tmp)
        self._writer: VideoWriter | None = None
        self.frames = 0

    def write(self, rgb: np.ndarray, index: int, name: str = "") -> None:
        if self._writer is None:  # sized by the first frame (a stream's size is known only then)
            self._writer = VideoWriter(self.tmp, self.fps, (rgb.shape[1], rgb.shape[0]), report_as=self.path)
        elif (rgb.shape[1], rgb.shape[0]) != self._writer.size:
            w, h = self._writer.size
            raise InputError(
                f"frame {index} is {rgb.shape[1]}x{rgb.shape[0]} but the video is {w}x{h}: "
                "the input changed size; write to a folder instead"
            )
        self._writer.write(rgb)
        self.frames += 1

    def close(self, keep: bool = True) -> None:
        """Finish the file and rename it into place (keep), or drop it; the temporary file is gone either
        way. A write that fails while finishing (disk full) is an InputError naming the output when the
        file was to be kept, and ignored when it was being dropped anyway."""
        try:
            try:
                if self._writer is not None:
                    self._writer.close()
            except InputError:
                if keep and self.frames:
                    raise
                return
            if not keep or self.frames == 0:
                return
            if self.audio_from is not None:
                from stylelite.runtime.audio import mux_audio

                muxed = self.tmp.with_name(self.tmp.stem + ".av" + self.tmp.suffix)
                try:
                    mux_audio(self.tmp, self.audio_from, muxed)
                    muxed.replace(self.tmp)
                except OSError as exc:
                    raise write_error(exc, self.path) from None
                finally:
                    muxed.unlink(missing_ok=True)
            try:
                replace_into(self.tmp, self.path)
            except OSError as exc:
                raise write_error(exc, self.path) from None
        finally:
            self.tmp.unlink(missing_ok=True)


def folder_output_names(names: list[str]) -> dict[str, str]:
    """Input file name -> output PNG name for a folder run, unique and predictable: `stem.png`, or the
    input's whole name plus `.png` (`a.jpg.png`, `a.png.png`) when several inputs share a stem. Names
    that would still collide (case-insensitively) are refused in one line naming both inputs."""
    shared: dict[str, int] = {}
    for n in names:
        shared[Path(n).stem.casefold()] = shared.get(Path(n).stem.casefold(), 0) + 1
    out = {n: (Path(n).stem if shared[Path(n).stem.casefold()] == 1 else n) + ".png" for n in names}
    seen: dict[str, str] = {}
    for n, target in out.items():
        other = seen.setdefault(target.casefold(), n)
        if other != n:
            raise InputError(
                f"{other} and {n} would both be written as {target}; rename one of them (nothing was written)"
            )
    return out


class FolderSink(FrameSink):
    """One PNG per frame, each written atomically: named after the input file for folder and image inputs
    (see folder_output_names), else frame_000000.png, ..."""

    kind = "folder"

    def __init__(self, folder: str | Path, names: list[str] | None = None) -> None:
        self.folder = Path(folder)
        self.names = folder_output_names(names or [])
        self.written: set[str] = set()
        self.frames = 0

    def target(self, index: int, name: str = "") -> Path:
        """Where the frame from input file `name` (or the `index`th frame) goes."""
        if name in self.names:
            return self.folder / self.names[name]
        return self.folder / (f"{Path(name).stem}.png" if name else f"frame_{index:06d}.png")

    def write(self, rgb: np.ndarray, index: int, name: str = "") -> None:
        path = self.target(index, name)
        if path.name in self.written:  # never replace what this run wrote
            raise InputError(f"two frames would both be written as {path}; nothing more was written")
        write_image(path, rgb)
        self.written.add(path.name)
        self.frames += 1


class ImageSink(FrameSink):
    kind = "image"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.frames = 0

    def write(self, rgb: np.ndarray, index: int, name: str = "") -> None:
        write_image(self.path, rgb)  # atomic
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


def open_sink(
    output: str | Path,
    source_kind: str,
    fps: float,
    audio_from: str | Path | None = None,
    names: list[str] | None = None,
) -> FrameSink:
    """A sink for `output`, checked against what the source gives (a folder of images cannot become one image).

    `names`: the input files of a folder or image source, so a folder output names each PNG after its
    input uniquely (folder_output_names).
    """
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
    return FolderSink(out, names)


def output_folder(output: str | Path) -> Path:
    """The folder `output` is written into: its parent for a file (video, image), itself for a folder."""
    out = Path(output)
    return out.parent if out.suffix else out


def check_output(output: str | Path) -> None:
    """Before any work: InputError (one line) when `output` cannot be written (a file where a folder
    should be, a read-only or foreign folder)."""
    check_writable_folder(output_folder(output), output)


def check_not_the_input(output: str | Path, inputs: list[Path], targets: list[Path] | None = None) -> None:
    """InputError when `output`, or one of the files it would write (`targets`), is one of the `inputs`
    (the input file, folder or one of its files): the user's own files are never written over."""
    keys = {k: p for p in inputs if (k := _file_key(p)) is not None}
    output = Path(output)
    for path in (output, *(targets or [])):
        inp = keys.get(_file_key(path))
        if inp is not None:
            what = "the input folder" if inp.is_dir() else "the input" if path == output else f"the input {inp.name}"
            raise InputError(
                f"{path} is {what}: writing there would replace the original; choose another -o (nothing was written)"
            )


def _file_key(path: Path) -> tuple[int, int] | None:
    """(device, inode) of an existing file or folder (links resolved), None when there is none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino
