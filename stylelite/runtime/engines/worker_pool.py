"""Frame-parallel inference: N copies of one model, each running one frame at a time.

On a small CPU, one model call spread over two threads waits at every layer for the slower thread, and the
decode and encode stages take a core away from it in the middle of a frame. Two copies with one thread
each run two frames at once with no such barrier, so the cores stay busy: the pipeline's model stage runs
one thread per copy (stylelite.runtime.pipeline) and puts the frames back in order afterwards.

`EnginePool.infer` may be called from several threads at once; each call takes a free copy, so no copy is
ever used by two threads (LiteRT interpreters are not thread-safe). Preprocessing and postprocessing are
pure functions of the artifact's metadata and run on the first copy.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable

import numpy as np

from stylelite.runtime.engines.base import Engine
from stylelite.runtime.errors import ConfigError


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask, where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def threads_per_worker(threads: int, workers: int) -> int:
    """Intra-op threads for each of `workers` copies: `threads` (0: the usable cores) shared out, at least one."""
    return max(1, (threads or usable_cores()) // workers)


class EnginePool(Engine):
    """Several loaded copies of one artifact behind the Engine interface.

    Args:
        load: makes one copy (called `workers` times).
        workers: copies, at least 2.
    """

    def __init__(self, load: Callable[[], Engine], workers: int) -> None:
        if workers < 2:
            raise ConfigError(f"a worker pool wants at least 2 workers, got {workers}")
        first = load()
        if first.recurrent:
            raise ConfigError(
                f"{first.path.name} is recurrent (each frame takes the previous frame's output), so its frames "
                "cannot run side by side: use --workers 1"
            )
        super().__init__(first.path)
        self.engines = [first] + [load() for _ in range(workers - 1)]
        self.workers = workers
        self.meta = first.meta
        self.name = first.name
        self.options = {**first.options, "workers": workers}
        self._free: queue.SimpleQueue[Engine] = queue.SimpleQueue()
        for e in self.engines:
            self._free.put(e)

    def infer(self, batch: np.ndarray, control=None) -> np.ndarray:
        engine = self._free.get()  # blocks while every copy is busy
        try:
            return engine.infer(batch, control)
        finally:
            self._free.put(engine)

    def preprocess(self, frame: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
        return self.engines[0].preprocess(frame)

    def postprocess(self, y, hw, frame, control=None) -> np.ndarray:
        return self.engines[0].postprocess(y, hw, frame, control)

    def activation_bytes(self, height: int, width: int) -> int:
        """Every copy may hold a frame at once."""
        return self.workers * self.engines[0].activation_bytes(height, width)

    def __getattr__(self, name: str):
        # engine-specific attributes (bytes_io, providers, session, ...) read from the first copy
        if name == "engines":
            raise AttributeError(name)
        return getattr(self.engines[0], name)
