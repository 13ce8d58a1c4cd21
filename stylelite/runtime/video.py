"""Video and image-folder I/O (OpenCV reads and writes images and reads video; PyAV writes video);
frames are uint8 RGB [H,W,3]."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from stylelite.runtime.errors import InputError
from stylelite.runtime.frames import as_rgb

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v")


def is_video(path: str | Path) -> bool:
    return Path(path).suffix.lower() in VIDEO_SUFFIXES


def is_image(path: str | Path) -> bool:
    return Path(path).suffix.lower() in IMAGE_SUFFIXES


def video_info(path: str | Path) -> tuple[float, int, int, int]:
    """(fps, frame count, width, height) of a readable video."""
    cap = open_video(path)
    try:
        return (
            cap.get(cv2.CAP_PROP_FPS) or 25.0,
            int(cap.get(cv2.CAP_PROP_FRAME_COUNT)),
            int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        )
    finally:
        cap.release()


def open_video(path: str | Path) -> cv2.VideoCapture:
    """An opened VideoCapture for a file; InputError when it is missing or unreadable."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"video not found: {path}")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise InputError(f"{path.name} is not a readable video (corrupt or unsupported codec)")
    return cap


def rgb_of_decoded(bgr: np.ndarray) -> np.ndarray:
    """What VideoCapture.read() gave (BGR, or grey/BGRA from some backends) -> uint8 RGB [H,W,3]."""
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if bgr.ndim == 3 and bgr.shape[2] == 3 else as_rgb(bgr)


def iter_video(path: str | Path, max_frames: int | None = None) -> Iterator[np.ndarray]:
    """Yield RGB frames; a file that yields none is reported as corrupt."""
    cap = open_video(path)
    n = 0
    try:
        while max_frames is None or n < max_frames:
            ok, bgr = cap.read()
            if not ok:
                break
            n += 1
            yield rgb_of_decoded(bgr)
    finally:
        cap.release()
    if n == 0:
        raise InputError(f"{Path(path).name} contains no decodable frames (corrupt or empty video)")


def read_video(path: str | Path, max_frames: int | None = None) -> tuple[list[np.ndarray], float]:
    fps = video_info(path)[0]
    return list(iter_video(path, max_frames)), fps


def read_image(path: str | Path) -> np.ndarray:
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    if img is None:
        raise InputError(f"{Path(path).name} is not a readable image")
    if img.dtype != np.uint8:
        img = cv2.convertScaleAbs(img, alpha=255.0 / max(1, int(img.max())))
    if img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
    elif img.ndim == 3:
        img = cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return as_rgb(img)


def list_images(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"image folder not found: {folder}")
    files = sorted(p for p in folder.iterdir() if is_image(p))
    if not files:
        raise InputError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    return files


def write_image(path: str | Path, rgb: np.ndarray) -> None:
    """Encode `rgb` by `path`'s suffix and write it atomically (a temporary file beside it, renamed into
    place): a full disk or a file-size limit is one InputError naming `path`, with nothing left behind."""
    from stylelite.runtime.files import atomic_path, write_error

    path = Path(path)
    try:
        ok, data = cv2.imencode(path.suffix, cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    except cv2.error:
        ok = False
    if not ok:
        raise InputError(f"cannot write {path.name}: unsupported image type; use {', '.join(IMAGE_SUFFIXES)}")
    try:
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as f:
                f.write(data.tobytes())
    except OSError as exc:
        raise write_error(exc, path) from None


# codec per container: MPEG-4 Part 2 (what OpenCV calls mp4v) where it fits, MJPEG in AVI, VP8 in WebM
VIDEO_CODECS = {".mp4": "mpeg4", ".m4v": "mpeg4", ".mov": "mpeg4", ".mkv": "mpeg4", ".avi": "mjpeg", ".webm": "libvpx"}


class VideoWriter:
    """A video file through PyAV (FFmpeg) at any size, odd ones included (OpenCV's writer drops the
    last row and column of those); refuses frames of the wrong size instead of dropping them."""

    def __init__(
        self, path: str | Path, fps: float, size: tuple[int, int], report_as: str | Path | None = None
    ) -> None:
        """`report_as`: the output named in error messages when `path` is a temporary file."""
        import av

        from stylelite.runtime.files import write_error

        self.path = Path(path)
        self.report_as = Path(report_as) if report_as is not None else self.path
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise write_error(exc, self.report_as) from None
        self.size = size  # (width, height)
        codec = VIDEO_CODECS.get(self.path.suffix.lower())
        if codec is None:
            raise InputError(f"{self.path.name}: unsupported video container; use {', '.join(VIDEO_CODECS)}")
        w, h = size
        try:
            self._out = av.open(str(self.path), "w")
        except (av.error.FFmpegError, OSError) as exc:
            raise write_error(exc, self.report_as) from None
        options = {"deadline": "realtime", "cpu-used": "8"} if codec == "libvpx" else {}
        self._stream = self._out.add_stream(codec, rate=Fraction(fps).limit_denominator(1001), options=options)
        self._stream.width, self._stream.height = w, h
        if codec == "mjpeg":
            self._stream.pix_fmt = "yuvj420p"  # full-range JPEG
            self._stream.codec_context.qmin, self._stream.codec_context.qmax = 2, 4
        else:
            self._stream.pix_fmt = "yuv420p"
            self._stream.bit_rate = max(int(w * h * fps * 1.5), 500_000)  # the rate OpenCV's writer used
        self.frames = 0

    def write(self, rgb: np.ndarray) -> None:
        import av

        if (rgb.shape[1], rgb.shape[0]) != self.size:
            raise ValueError(f"frame {rgb.shape[1]}x{rgb.shape[0]} does not match video {self.size[0]}x{self.size[1]}")
        # FFmpeg converts to 4:2:0 itself: OpenCV's RGB2YUV_I420 is 6x faster but picks chroma samples
        # instead of filtering them (2-3 dB worse on detailed frames)
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        frame.pts = self.frames
        self._mux(self._stream.encode(frame))
        self.frames += 1

    def _mux(self, packets) -> None:
        import av

        from stylelite.runtime.files import write_error

        try:
            self._out.mux(packets)
        except (av.error.FFmpegError, OSError) as exc:
            raise write_error(exc, self.report_as) from None

    def close(self) -> None:
        """Flush the encoder and finish the file; a write that fails here (disk full) is an InputError,
        and the container is closed either way."""
        import av

        from stylelite.runtime.files import write_error

        if self._out is None:
            return
        out = self._out
        try:
            self._mux(self._stream.encode())  # flush the encoder
        finally:
            self._out = None
            try:
                out.close()  # writes the trailer
            except (av.error.FFmpegError, OSError) as exc:
                raise write_error(exc, self.report_as) from None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_video(path: str | Path, frames: list[np.ndarray], fps: float) -> Path:
    h, w = frames[0].shape[:2]
    with VideoWriter(path, fps, (w, h)) as vw:
        for f in frames:
            vw.write(f)
    return Path(path)
