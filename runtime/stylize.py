"""`stylelite run`: stylize a video file, an image, or a folder of images with an artifact."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from runtime.engines import load_engine
from runtime.errors import InputError
from runtime.files import atomic_path
from runtime.video import VideoWriter, is_image, is_video, iter_video, list_images, read_image, video_info, write_image


@dataclass(frozen=True)
class RunResult:
    output: Path
    frames: int
    seconds: float
    flow_ms_per_frame: float | None = None  # mean optical-flow time of --stabilize (None: not stabilized)

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


def run(
    model: str | Path,
    input: str | Path,
    output: str | Path,
    threads: int = 0,
    max_frames: int | None = None,
    progress: bool = True,
    stabilize: float = 0.0,
) -> RunResult:
    """Stylize `input` (video file, image, or image folder) into `output` with `model`.

    Video keeps its frame size and rate; folders keep file names. The model's embedded
    metadata says how to feed it, so no other flags are needed. `stabilize` (video only) is the
    strength in [0, 1] of runtime.stabilize.Stabilizer: flow-guided blending of the previous output.
    """
    from tqdm import tqdm

    engine = load_engine(model, threads=threads)
    src, dst = Path(input), Path(output)
    stabilizer = None
    if stabilize:
        from runtime.stabilize import Stabilizer

        if not is_video(src):
            raise InputError(f"--stabilize needs a video input; {src.name} is not a video (.mp4, .avi, .mov, .mkv)")
        stabilizer = Stabilizer(stabilize)
    t0 = time.perf_counter()
    if src.is_dir():
        files = list_images(src)[:max_frames]
        if dst.suffix:
            raise InputError(f"input {src} is a folder, so the output must be a folder too, not {dst.name}")
        for f in tqdm(files, desc="stylize", unit="img", disable=not progress):
            write_image(dst / f.with_suffix(".png").name, engine.stylize(read_image(f)))
        n = len(files)
    elif is_video(src):
        if not is_video(dst):
            raise InputError(f"input {src.name} is a video, so the output must be a video file (.mp4), not {dst}")
        fps, count, w, h = video_info(src)
        total = min(count, max_frames) if max_frames and count > 0 else (count or None)
        n = 0
        with atomic_path(dst) as tmp:
            tmp_video = tmp.with_suffix(dst.suffix)
            try:
                with VideoWriter(tmp_video, fps, (w, h)) as writer:
                    for frame in tqdm(
                        iter_video(src, max_frames), total=total, desc="stylize", unit="frame", disable=not progress
                    ):
                        styled = engine.stylize(frame)
                        writer.write(stabilizer.step(frame, styled) if stabilizer else styled)
                        n += 1
                tmp_video.replace(tmp)
            finally:
                tmp_video.unlink(missing_ok=True)
    elif is_image(src):
        if not src.is_file():
            raise InputError(f"image not found: {src}")
        write_image(dst, engine.stylize(read_image(src)))
        n = 1
    else:
        raise InputError(f"{src}: not a video ({'/'.join(('.mp4', '.avi', '.mov', '.mkv'))}), image or folder")
    return RunResult(dst, n, time.perf_counter() - t0, stabilizer.mean_flow_ms if stabilizer else None)
