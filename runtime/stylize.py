"""`stylelite run`: stylize a video, image, folder, camera or stream with an exported model."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from stylelite.runtime.engines import EngineOptions, load_engine
from stylelite.runtime.errors import InputError
from stylelite.runtime.pipeline import PipelineStats, stream_frames
from stylelite.runtime.sinks import FrameSink, StopRequested, WindowSink, open_sink
from stylelite.runtime.sources import open_source
from stylelite.runtime.style_control import StyleControl, StyleState


@dataclass(frozen=True)
class RunResult:
    output: Path | None
    frames: int
    seconds: float
    flow_ms_per_frame: float | None = None  # mean optical-flow time of --stabilize (None: not stabilized)
    dropped: int = 0  # live mode: frames the model skipped to stay current
    stopped: str = ""  # why the run ended before the input did ("" when it did not)
    audio: str | None = None  # codec of the audio track copied from the input
    stats: dict = field(default_factory=dict)  # PipelineStats.summary()

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


def run(
    model: str | Path,
    input: str | int | Path,
    output: str | Path | None = None,
    threads: int = 0,
    max_frames: int | None = None,
    progress: bool = True,
    stabilize: float = 0.0,
    mode: str = "offline",
    process_size: tuple[int, int] | None = None,
    style: str | None = None,
    blend_with: str | None = None,
    mix: float = 0.5,
    strength: float = 1.0,
    show: bool = False,
    audio: bool = True,
    realtime: bool = False,
    engine_options: EngineOptions | None = None,
    stage_priority: str = "auto",
) -> RunResult:
    """Stylize `input` into `output` (and/or a window) with `model`, decoding, inferring and encoding in
    overlapping stages.

    Args:
        model: an exported artifact (.onnx, .tflite) or a checkpoint; its metadata says how to feed it.
        input: a video file, image, image folder, camera index (0, /dev/video0) or stream URL (rtsp://, http://).
        output: a video file (keeps the input's frame rate and, for files, its audio track), an image,
            or a folder. Optional when `show` is set.
        mode: "offline" (every frame in order) or "live" (newest frame wins; drops are counted).
        process_size: (w, h) to run the model at, the output upscaled back (faster on big frames).
        style, blend_with, mix, strength: the style to render (stylelite.runtime.style_control.StyleControl).
        show: also show the frames in a window (needs a display and OpenCV with GUI support).
        audio: copy the input file's audio track into the output video unchanged.
        realtime: play a file input at its own frame rate (as a camera would deliver it).
        engine_options: EngineOptions for load_engine (threads, providers, graph_optimization, ...); an
            option the model's engine does not take is a ConfigError.
        stage_priority: auto | background | normal CPU priority of decoding, encoding and the other
            non-model stages (stylelite.runtime.stage_priority; auto: background offline, normal live).
    """
    if output is None and not show:
        raise InputError("nothing to write to: give -o OUTPUT (video, image or folder) and/or --show")
    # onnxruntime's idle threads would spin between calls and starve the decode/encode stages
    engine = load_engine(model, threads=threads, options=engine_options, spin=False)
    state = StyleState(engine.styles, StyleControl(style, blend_with, mix, strength))
    source = open_source(input, realtime=realtime, max_frames=max_frames)
    stabilizer = None
    if stabilize:
        from stylelite.runtime.stabilize import Stabilizer

        if source.kind in ("image", "folder"):
            raise InputError(
                f"--stabilize needs a video input (file, camera or stream); {Path(source.name).name} is not one"
            )
        stabilizer = Stabilizer(stabilize)
    audio_codec = None
    if output is not None and audio and source.kind == "video" and Path(output).suffix:
        from stylelite.runtime.audio import check_audio_fits

        audio_codec = check_audio_fits(input, output)
    # the file is written by the pipeline's own write stage; GUI calls stay in this thread
    file: FrameSink | None = None
    if output is not None:
        file = open_sink(output, source.kind, source.fps, audio_from=input if audio_codec else None)
    window = WindowSink(f"stylelite: {Path(str(model)).name}") if show else None

    stats = PipelineStats(mode)
    stopped, keep = "", False
    from tqdm import tqdm

    bar = tqdm(total=source.total, desc="stylize", unit="frame", disable=not progress)
    frames = stream_frames(
        source,
        engine,
        mode,
        state,
        stabilizer,
        process_size,
        stats=stats,
        write=(lambda out: file.write(out.styled, out.index, out.name)) if file is not None else None,
        stage_priority=stage_priority,
    )
    try:
        for out in frames:
            if window is not None:
                window.write(out.styled, out.index, out.name)
            bar.update(1)
        keep = True
        stopped = source.ended_early
    except StopRequested:
        keep, stopped = True, "the window was closed"
    except KeyboardInterrupt:  # Ctrl+C ends a camera or stream recording: keep what was written
        keep, stopped = True, "interrupted"
    finally:
        frames.close()  # stops the stage threads before the files are closed
        bar.close()
        for sink in (file, window):
            if sink is not None:
                sink.close(keep=keep)
    return RunResult(
        output=Path(output) if output is not None else None,
        frames=stats.frames_out,
        seconds=stats.seconds,
        flow_ms_per_frame=stabilizer.mean_flow_ms if stabilizer else None,
        dropped=stats.dropped,
        stopped=stopped,
        audio=audio_codec,
        stats=stats.summary(),
    )
