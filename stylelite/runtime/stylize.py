"""`stylelite run`: stylize a video, image, folder, camera or stream with an exported model."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from stylelite.runtime.engines import EngineOptions, load_engine
from stylelite.runtime.errors import ConfigError, InputError
from stylelite.runtime.pipeline import MODES, PipelineStats, check_size, stream_frames
from stylelite.runtime.sinks import (
    FolderSink,
    FrameSink,
    StopRequested,
    WindowSink,
    check_not_the_input,
    check_output,
    open_sink,
)
from stylelite.runtime.sources import FrameSource, open_source
from stylelite.runtime.style_control import StyleControl, StyleState


@dataclass(frozen=True)
class RunConfig:
    """How `run` processes frames (the `stylelite run` options other than the model, files and style).

    Attributes:
        mode: "offline" (every frame in order) or "live" (newest frame wins; drops are counted).
        process_size: (w, h) to run the model at, the output upscaled back (faster on big frames).
        stabilize: video only: blend strength in [0, 1] of the flow-warped previous output (0: off).
        max_frames: stop after this many frames (None: the whole input).
        realtime: play a file input at its own frame rate (as a camera would deliver it).
        audio: copy the input file's audio track into the output video unchanged.
        show: also show the frames in a window (needs a display and OpenCV with GUI support).
        progress: a progress bar on stderr.
        stage_priority: auto | background | normal CPU priority of decoding, encoding and the other
            non-model stages (stylelite.runtime.stage_priority; auto: background offline, normal live).
        memory_limit_mb: the activation memory one frame may need in the model (the engine's estimate,
            Engine.activation_bytes); a larger frame stops the run before it runs, with a --process-size
            hint. None: half the memory available when the run starts; 0: no check.
    """

    mode: str = "offline"
    process_size: tuple[int, int] | None = None
    stabilize: float = 0.0
    max_frames: int | None = None
    realtime: bool = False
    audio: bool = True
    show: bool = False
    progress: bool = True
    stage_priority: str = "auto"
    memory_limit_mb: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ConfigError(f"mode {self.mode!r}: use offline or live")
        if self.max_frames is not None and self.max_frames < 1:
            raise ConfigError(f"max_frames={self.max_frames}: use a positive count (or None for the whole input)")
        if self.process_size is not None:
            check_size(tuple(self.process_size), f"process_size {self.process_size!r}")
        if self.memory_limit_mb is not None and self.memory_limit_mb < 0:
            raise ConfigError(f"memory_limit_mb={self.memory_limit_mb}: use a positive size, 0 (no check) or None")


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
    skipped: tuple[str, ...] = ()  # folder inputs: "name (why)" of each entry that could not be read

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds else 0.0


_CONTROL_FIELDS = ("style", "blend_with", "mix", "strength")


def run(
    model: str | Path,
    input: str | int | Path,
    output: str | Path | None = None,
    threads: int = 0,
    *,
    config: RunConfig | None = None,
    control: StyleControl | None = None,
    engine_options: EngineOptions | None = None,
    **fields,
) -> RunResult:
    """Stylize `input` into `output` (and/or a window) with `model`, decoding, inferring and encoding in
    overlapping stages.

    Args:
        model: an exported artifact (.onnx, .tflite), or a checkpoint once the torch engine is registered.
        input: a video file, image, image folder, camera index (0, /dev/video0) or stream URL (rtsp://, http://).
        output: a video file (keeps the input's frame rate and, for files, its audio track), an image,
            or a folder. Optional when `config.show` is set.
        threads: inference threads (0: engine_options.threads, else the engine's default).
        config: a RunConfig; its fields may also be given as keywords (`mode="live"`).
        control: the style to render (style, blend_with, mix, strength; also accepted as keywords).
        engine_options: EngineOptions for load_engine (providers, graph_optimization, ...); an option the
            model's engine does not take is a ConfigError.
    """
    style = {k: fields.pop(k) for k in _CONTROL_FIELDS if k in fields}
    control = dataclasses.replace(control or StyleControl(), **style)
    config = dataclasses.replace(config or RunConfig(), **fields)
    if output is None and not config.show:
        raise InputError("nothing to write to: give -o OUTPUT (video, image or folder) and/or --show")
    if output is not None:
        check_output(output)  # before any work: a file where a folder should be, a read-only folder
    # onnxruntime's idle threads would spin between calls and starve the decode/encode stages
    engine = load_engine(model, threads=threads, options=engine_options, spin=False)
    state = StyleState(engine.styles, control)
    source = open_source(input, realtime=config.realtime, max_frames=config.max_frames)
    stabilizer = _stabilizer(config.stabilize, source)
    audio_codec = None
    if output is not None and config.audio and source.kind == "video" and Path(output).suffix:
        from stylelite.runtime.audio import check_audio_fits

        audio_codec = check_audio_fits(input, output)
    names = _input_names(source)
    if output is not None:
        _check_inputs_kept(output, input, source, names)
    # the file is written by the pipeline's own write stage; GUI calls stay in this thread
    file: FrameSink | None = None
    window = None
    try:
        if output is not None:
            file = open_sink(output, source.kind, source.fps, audio_from=input if audio_codec else None, names=names)
        window = WindowSink(f"stylelite: {Path(str(model)).name}") if config.show else None
    except BaseException:
        if file is not None:
            file.close(keep=False)  # its temporary file goes with it
        raise
    stats = PipelineStats(config.mode)
    stopped = _drive(engine, source, config, state, stabilizer, stats, file, window)
    return RunResult(
        output=Path(output) if output is not None else None,
        # the sink's own count: a stop can land between a frame's write and its hand-over to this thread
        frames=file.frames if file is not None else stats.frames_out,
        seconds=stats.seconds,
        flow_ms_per_frame=stabilizer.mean_flow_ms if stabilizer else None,
        dropped=stats.dropped,
        stopped=stopped,
        audio=audio_codec,
        stats=stats.summary(),
        skipped=tuple(getattr(source, "skipped", ())),
    )


def _input_names(source: FrameSource) -> list[str] | None:
    """The input files' names of a folder or image source (what a folder output names its PNGs after)."""
    if source.kind == "folder":
        return [f.name for f in source.files]
    if source.kind == "image":
        return [Path(source.name).name]
    return None


def _check_inputs_kept(output, input, source: FrameSource, names: list[str] | None) -> None:
    """Refuse an output that is the input (file or folder), or a folder output that would write over one of
    the input files, before anything is written."""
    if source.kind not in ("video", "image", "folder"):
        return
    inputs = [Path(input)]
    if source.kind == "folder":
        inputs += list(source.files)
    targets = []
    if names is not None and not Path(output).suffix:
        sink = FolderSink(output, names)
        targets = [sink.target(0, n) for n in names]
    check_not_the_input(output, inputs, targets)


def memory_limit_bytes(config: RunConfig) -> int | None:
    """The per-frame activation memory limit of a run in bytes (None: no check): config.memory_limit_mb, or
    half the memory available now."""
    if config.memory_limit_mb is not None:
        return int(config.memory_limit_mb * 1e6) or None
    available = available_memory()
    return available // 2 if available else None


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation: Linux MemAvailable (no swapping), or less where an
    address-space limit (`ulimit -v`) leaves less room; None when unknown."""
    free = _free_memory()
    room = _address_space_room()
    if room is None:
        return free
    return room if free is None else min(free, room)


def _address_space_room() -> int | None:
    """Bytes this process may still map under RLIMIT_AS (ulimit -v), None without such a limit."""
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY:
            return None
        with open("/proc/self/statm", encoding="ascii") as f:
            mapped = int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        return max(0, soft - mapped)
    except (ImportError, OSError, ValueError, IndexError):
        return None


def _free_memory() -> int | None:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived (timeout, systemd, docker stop): a run ends as on Ctrl+C, keeping what it wrote."""


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """While inside, SIGTERM raises Terminated (a KeyboardInterrupt) in the main thread, so `run` finishes
    the output with the frames so far, as on Ctrl+C. A second SIGTERM while it finishes is ignored. Does
    nothing outside the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # one is enough: the output is being finished
        raise Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _stabilizer(strength: float, source: FrameSource):
    if not strength:
        return None
    from stylelite.runtime.stabilize import Stabilizer

    if source.kind in ("image", "folder"):
        raise InputError(
            f"--stabilize needs a video input (file, camera or stream); {Path(source.name).name} is not one"
        )
    return Stabilizer(strength)


def _drive(engine, source, config: RunConfig, state, stabilizer, stats, file, window) -> str:
    """Run the pipeline into the sinks; returns why it stopped early ("" when the input ended). The sinks
    are closed here: finished and kept when the input ended, the window was closed or Ctrl+C was pressed."""
    from tqdm import tqdm

    keep, stopped = False, ""
    bar = tqdm(total=source.total, desc="stylize", unit="frame", disable=not config.progress)
    frames = stream_frames(
        source,
        engine,
        config.mode,
        state,
        stabilizer,
        config.process_size,
        stats=stats,
        write=(lambda out: file.write(out.styled, out.index, out.name)) if file is not None else None,
        stage_priority=config.stage_priority,
        memory_limit=memory_limit_bytes(config),
    )
    try:
        for out in frames:
            if window is not None:
                window.write(out.styled, out.index, out.name)
            bar.update(1)
        keep, stopped = True, source.ended_early
    except StopRequested:
        keep, stopped = True, "the window was closed"
    except KeyboardInterrupt as exc:  # Ctrl+C or SIGTERM ends a recording: keep what was written
        keep, stopped = True, "terminated" if isinstance(exc, Terminated) else "interrupted"
    finally:
        try:
            frames.close()  # stops the stage threads before the files are closed
        finally:
            bar.close()
            _close_sinks((file, window), keep)
    return stopped


def _close_sinks(sinks, keep: bool) -> None:
    """Close every sink, even when one fails (the first failure is raised once all are closed)."""
    failure: BaseException | None = None
    for sink in sinks:
        if sink is None:
            continue
        try:
            sink.close(keep=keep)
        except BaseException as exc:  # noqa: BLE001  (re-raised below)
            failure = failure or exc
    if failure is not None:
        raise failure
