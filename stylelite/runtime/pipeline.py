"""Overlapping video stages: decode+preprocess | infer | postprocess | [write] | caller.

Each stage is a thread joined to the next by a bounded queue, so decoding frame t+1 and encoding
frame t-1 happen while frame t is in the model (onnxruntime, LiteRT, OpenCV and numpy release the
GIL in their heavy calls). Two modes:

- offline: every frame, in order; a full queue makes the stage before it wait (nothing dropped).
- live: bounded latency; the model always takes the newest captured frame, and a frame that a newer
  one replaced before the model got to it is dropped and counted.

`stream_frames` yields `StyledFrame`s in order to the caller; an encoder passed as `write` runs as a
stage of its own. Offline, the stages other than the model's run at background CPU priority
(stylelite.runtime.stage_priority), so they take only the cycles the model leaves.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator

import cv2
import numpy as np

from stylelite.runtime.errors import ConfigError
from stylelite.runtime.frame_size import MAX_SIDE, check_frame_memory, check_size, parse_size
from stylelite.runtime.pipeline_stats import SAMPLES, PipelineStats, StyledFrame
from stylelite.runtime.sources import Frame, FrameSource
from stylelite.runtime.stage_priority import StarvationGuard, lower_this_thread
from stylelite.runtime.stage_priority import resolve as resolve_priority
from stylelite.runtime.style_control import StyleState

MODES = ("offline", "live")
_END = object()
# the frame-size helpers stay importable from here (stylelite.runtime.frame_size holds them)
__all__ = ["MAX_SIDE", "MODES", "PipelineStats", "StyledFrame", "check_frame_memory", "check_size", "parse_size",
           "stream_frames"]  # fmt: skip


class _LatestSlot:
    """A one-frame mailbox: put() replaces an unread frame (counted as dropped); get() blocks.

    The end marker never replaces a frame: the last frame is delivered, then the end.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item = None
        self._has = False
        self._ended = False
        self.replaced = 0

    def put(self, item) -> None:
        with self._cond:
            if self._ended:
                return
            if item is _END:
                self._ended = True
            else:
                if self._has:
                    self.replaced += 1
                self._item, self._has = item, True
            self._cond.notify()

    def get(self, timeout: float | None = None):
        with self._cond:
            if not self._cond.wait_for(lambda: self._has or self._ended, timeout):
                raise queue.Empty
            if not self._has:
                return _END
            item, self._item, self._has = self._item, None, False
            return item


def stream_frames(
    source: FrameSource,
    engine,
    mode: str = "offline",
    style_state: StyleState | None = None,
    stabilizer=None,
    process_size: tuple[int, int] | None = None,
    queue_size: int = 4,
    stats: PipelineStats | None = None,
    write: Callable[[StyledFrame], None] | None = None,
    stage_priority: str = "auto",
    memory_limit: int | None = None,
) -> Iterator[StyledFrame]:
    """Stylize `source` with `engine` in overlapping stages; yield the results in order.

    Args:
        mode: "offline" (every frame) or "live" (newest frame wins; drops counted in `stats.dropped`).
        style_state: the style to render, read per frame (another thread may change it meanwhile).
        stabilizer: a stylelite.runtime.stabilize.Stabilizer, applied in order in the postprocess stage.
        process_size: (w, h) to run the model at; frames are resized down before and the output back
            up after (the resize time is part of the pre/post stage figures).
        queue_size: frames each offline queue holds (bounds memory and latency).
        stats: a PipelineStats to fill (one is made otherwise; read it after the loop ends).
        write: an output stage (e.g. a video encoder's write) run in its own pipeline thread, so it
            gets the stage priority too; each frame is yielded after it was written.
        stage_priority: auto | background | normal for the threads other than the model's
            (stylelite.runtime.stage_priority; auto: background offline, normal live).
        memory_limit: bytes of activation memory a frame may need (engine.activation_bytes); a frame over
            it is an InputError before it runs, with a --process-size hint (None: no check).
    """
    if mode not in MODES:
        raise ConfigError(f"mode {mode!r}: use offline or live")
    stats = stats if stats is not None else PipelineStats(mode)
    run = _StagedRun(source, engine, mode, style_state, stabilizer, process_size, queue_size, stats, write)
    run.memory_limit = memory_limit
    yield from run.frames(background=resolve_priority(stage_priority, mode) == "background")


class _StagedRun:
    """The threads and queues of one `stream_frames` call.

    Each stage is a step (False: nothing more to do) and a finish (run once, when it is done); each
    runs in its own thread, and the caller's generator reads the last queue.
    """

    def __init__(self, source, engine, mode, style_state, stabilizer, process_size, queue_size, stats, write):
        self.engine, self.mode, self.style_state, self.stabilizer = engine, mode, style_state, stabilizer
        self.process_size, self.stats, self.write = process_size, stats, write
        stats.mode, stats.process_size = mode, process_size
        self.stop = threading.Event()
        self.promote = threading.Event()  # background stages hand their loops to normal-priority threads
        self.errors: list[BaseException] = []
        self.to_infer = _LatestSlot() if mode == "live" else queue.Queue(queue_size)
        self.to_post: queue.Queue = queue.Queue(queue_size)
        self.to_out: queue.Queue = queue.Queue(queue_size)
        self.to_caller: queue.Queue = queue.Queue(queue_size) if write is not None else self.to_out
        self.model_waited = 0.0  # seconds the model thread spent waiting for frames or for room downstream
        self.source_frames = iter(source)
        self.threads: dict[str, threading.Thread] = {}  # the thread now running each stage
        self.every_thread: list[threading.Thread] = []
        self.finished: set[str] = set()  # stages whose finish has run
        self.guard: StarvationGuard | None = None
        self.memory_limit: int | None = None
        # frame-parallel model stage (an EnginePool): one thread per copy; frames are numbered as they are
        # taken and put back in that order before postprocessing
        self.workers = max(1, int(getattr(engine, "workers", 1)))
        self.take_lock = threading.Lock()
        self.guard_lock = threading.Lock()
        self.taken = 0  # frames the model stage has taken so far (the next one's number)
        self.inputs_done = False  # a model thread took the end of the input
        self.infer_running = self.workers  # model threads not yet finished
        self.waiting_room: dict[int, tuple] = {}  # results that came out before an earlier frame's
        self.next_out = 0

    # -- queue helpers that give up when the run is stopping
    def put(self, q, item) -> bool:
        while not self.stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def get(self, q, on_wait=None):
        while not self.stop.is_set():
            try:
                return q.get(timeout=0.1)
            except queue.Empty:
                if on_wait is not None:
                    on_wait()
        return _END

    # -- the stages
    def decode_step(self) -> bool:
        stats = self.stats
        t0, c0 = time.perf_counter(), time.thread_time()
        frame: Frame | None = next(self.source_frames, None)
        if frame is None:
            return False
        t1, c1 = time.perf_counter(), time.thread_time()
        control = self.style_state.get() if self.style_state is not None else None
        rgb = _resize(frame.rgb, self.process_size)
        if self.memory_limit:
            what = frame.name or f"frame {frame.index}"
            check_frame_memory(self.engine, (rgb.shape[1], rgb.shape[0]), self.memory_limit, what)
        x, hw = self.engine.preprocess(rgb)
        stats.stage_ms["decode"].append((t1 - t0) * 1e3)
        stats.stage_ms["pre"].append((time.perf_counter() - t1) * 1e3)
        stats.stage_cpu_ms["decode"].append((c1 - c0) * 1e3)
        stats.stage_cpu_ms["pre"].append((time.thread_time() - c1) * 1e3)
        stats.frames_in += 1
        if self.mode == "live":
            self.to_infer.put((frame, x, hw, control))
            stats.dropped = self.to_infer.replaced
            return True
        return self.put(self.to_infer, (frame, x, hw, control))

    def decode_finish(self) -> None:
        close = getattr(self.source_frames, "close", None)
        if close is not None and self.stop.is_set():
            close()  # release the capture now, not when the generator is collected
        self.to_infer.put(_END) if self.mode == "live" else self.put(self.to_infer, _END)

    def infer_step(self) -> bool:
        t_wait = time.perf_counter()
        with self.take_lock:  # the order frames are taken in is the order they leave the pipeline
            item = _END if self.inputs_done else self.get(self.to_infer, self.check_starved)
            self.inputs_done = item is _END
            number = self.taken
            self.taken += 1
        self.model_waited += time.perf_counter() - t_wait
        if item is _END or self.stop.is_set():
            return False
        frame, x, hw, control = item
        t0 = time.perf_counter()
        y = self.engine.infer(x, control)
        t1 = time.perf_counter()
        self.stats.stage_ms["infer"].append((t1 - t0) * 1e3)
        sent = self.put(self.to_post, (number, frame, y, hw, control))
        self.model_waited += time.perf_counter() - t1
        self.check_starved()
        return sent

    def infer_finish(self) -> None:
        """The last model thread to finish ends the postprocess stage's input."""
        with self.take_lock:
            self.infer_running -= 1
            last = self.infer_running == 0
        if last:
            self.put(self.to_post, _END)

    def next_result(self):
        """The model's output for the next frame in order (frame-parallel threads may finish out of order)."""
        while self.next_out not in self.waiting_room:
            item = self.get(self.to_post)
            if item is _END:
                return _END
            self.waiting_room[item[0]] = item[1:]
        self.next_out += 1
        return self.waiting_room.pop(self.next_out - 1)

    def post_step(self) -> bool:
        item = self.next_result()
        if item is _END:
            return False
        frame, y, hw, control = item
        t0, c0 = time.perf_counter(), time.thread_time()
        out = self.engine.postprocess(y, hw, frame.rgb, control)  # back at the frame's size
        if self.stabilizer is not None:
            out = self.stabilizer.step(frame.rgb, out)
        self.stats.stage_ms["post"].append((time.perf_counter() - t0) * 1e3)
        self.stats.stage_cpu_ms["post"].append((time.thread_time() - c0) * 1e3)
        return self.put(self.to_out, StyledFrame(frame.index, frame.rgb, out, frame.t_capture, frame.name))

    def write_step(self) -> bool:
        item = self.get(self.to_out)
        if item is _END:
            return False
        t0, c0 = time.perf_counter(), time.thread_time()
        self.write(item)
        self.stats.stage_ms["write"].append((time.perf_counter() - t0) * 1e3)
        self.stats.stage_cpu_ms["write"].append((time.thread_time() - c0) * 1e3)
        return self.put(self.to_caller, item)

    def stage_table(self, background: bool) -> dict[str, tuple[Callable, Callable, bool]]:
        """name -> (step, finish, lowered)."""
        stages = {"decode_and_prepare": (self.decode_step, self.decode_finish, background)}
        for k in range(self.workers):  # the model's threads: never lowered
            stages["infer" if k == 0 else f"infer-{k + 1}"] = (self.infer_step, self.infer_finish, False)
        stages["postprocess"] = (self.post_step, lambda: self.put(self.to_out, _END), background)
        if self.write is not None:
            stages["write"] = (self.write_step, lambda: self.put(self.to_caller, _END), background)
            self.stats.stage_ms.setdefault("write", deque(maxlen=SAMPLES))
            self.stats.stage_cpu_ms.setdefault("write", deque(maxlen=SAMPLES))
        return stages

    # -- threads, priorities and the starvation guard
    def start(self, name: str, lowered: bool, after: threading.Thread | None = None) -> None:
        step, finish, _ = self.stages[name]

        def body() -> None:
            if after is not None:
                after.join()  # the lowered thread this one replaces finishes its current frame first
                if name in self.finished:
                    return  # it reached the end of its input meanwhile
            if lowered and not lower_this_thread():
                self.stats.stage_priority = "normal (the system refused SCHED_IDLE)"
            handed_over = False
            try:
                while not self.stop.is_set():
                    if lowered and self.promote.is_set():
                        handed_over = True
                        return
                    if not step():
                        break
            except BaseException as exc:  # handed to the caller's thread, which re-raises it
                self.errors.append(exc)
                self.stop.set()
            finally:
                if not handed_over:
                    self.finished.add(name)
                    finish()

        self.threads[name] = threading.Thread(target=body, name=f"stylelite-{name}", daemon=True)
        self.every_thread.append(self.threads[name])
        self.threads[name].start()

    def check_starved(self) -> None:
        """In a model thread: hand starved background stages to normal-priority threads."""
        if self.guard is None or self.promote.is_set() or self.stop.is_set():
            return
        if self.guard_lock.acquire(blocking=False):  # one model thread at a time (frame-parallel: others go on)
            try:
                self._promote_if_starved()
            finally:
                self.guard_lock.release()

    def _promote_if_starved(self) -> None:
        stats = self.stats
        # frame-parallel model threads: their waits are averaged, as the share of one thread's time
        if self.promote.is_set() or not self.guard.starved(self.model_waited / self.workers):
            return
        self.promote.set()
        stats.promoted_at_frame = stats.frames_out
        stats.stage_priority = f"background, normal from frame {stats.frames_out} (other programs starved the stages)"
        for name, (_, _, lowered) in self.stages.items():
            if lowered:
                self.start(name, False, after=self.threads[name])  # created here: it inherits normal priority

    def frames(self, background: bool) -> Iterator[StyledFrame]:
        stats = self.stats
        stats.stage_priority = "background" if background else "normal"
        self.stages = self.stage_table(background)
        self.guard = StarvationGuard() if background else None
        t_start = time.perf_counter()
        for name, (_, _, lowered) in self.stages.items():
            self.start(name, lowered)
        if self.guard is not None:
            self.guard.watch([t.native_id for n, t in self.threads.items() if self.stages[n][2]])
        try:
            while True:
                item = self.get(self.to_caller)
                if item is _END:
                    break
                stats.frames_out += 1
                yield item
                stats.latency_ms.append((time.perf_counter() - item.t_capture) * 1e3)
        finally:
            self.stop.set()
            if self.mode == "live":
                self.to_infer.put(_END)
            for t in list(self.every_thread):
                t.join(timeout=10)
            stats.seconds = time.perf_counter() - t_start
            if self.mode == "live":
                stats.dropped = self.to_infer.replaced
        if self.errors:
            raise self.errors[0]


def _resize(rgb: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    if size is None or (rgb.shape[1], rgb.shape[0]) == size:
        return rgb
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
