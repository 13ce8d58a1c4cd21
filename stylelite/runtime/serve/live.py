"""What every page renders: the current model with its style state, and the clip; uploads swap them.

Camera frames are stylized one call at a time (`stylize_jpeg`); a clip plays through the live
pipeline (stylelite.runtime.pipeline.stream_frames, newest frame wins) in a `ClipPlayer` thread per page.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from stylelite.runtime.engines.base import Engine
from stylelite.runtime.errors import StyleliteError
from stylelite.runtime.serve.wire import decode_jpeg, encode_jpeg
from stylelite.runtime.style_control import StyleControl, StyleState

log = logging.getLogger("stylelite.serve")
MAX_CAMERA_PIXELS = 1920 * 1080


class SerialEngine(Engine):
    """An engine whose infer() runs one call at a time: every page shares it, a LiteRT interpreter is not
    thread-safe, and a small CPU runs one inference at a time best."""

    def __init__(self, inner: Engine) -> None:
        super().__init__(inner.path)
        self.inner, self.meta, self.name = inner, inner.meta, inner.name
        self._lock = threading.Lock()

    def preprocess(self, frame: np.ndarray):
        return self.inner.preprocess(frame)  # the inner engine's own input (uint8 frames for --onnx-io uint8)

    def infer(self, batch: np.ndarray, control: StyleControl | None = None) -> np.ndarray:
        with self._lock:
            return self.inner.infer(batch, control)


@dataclass(frozen=True)
class LiveModel:
    engine: Engine
    state: StyleState
    name: str
    version: int  # grows with each model swap; the page reloads its controls when it changes


class Live:
    """The model, style state and clip that every connection renders."""

    def __init__(self, engine: Engine, name: str, clip: Path | None = None, max_clients: int = 4) -> None:
        self.model = LiveModel(SerialEngine(engine), StyleState(engine.styles), name, 1)
        self.clip, self.clip_name, self.clip_version = clip, clip.name if clip else None, 1
        self.clients, self.max_clients = 0, max_clients

    def set_model(self, engine: Engine, name: str) -> LiveModel:
        """Swap the model; the strength carries over, the style starts at the new model's first."""
        strength = self.model.state.get().strength
        state = StyleState(engine.styles, StyleControl(strength=strength))
        self.model = LiveModel(SerialEngine(engine), state, name, self.model.version + 1)
        return self.model

    def set_clip(self, path: Path, name: str) -> None:
        self.clip, self.clip_name, self.clip_version = path, name, self.clip_version + 1

    def describe(self) -> dict:
        m = self.model
        return {
            "model": m.name,
            "styles": list(m.state.styles),
            "control": m.state.get().as_dict(),
            "version": m.version,
            "clip": self.clip_name,
        }


def fit_to_model(rgb: np.ndarray, engine: Engine) -> np.ndarray:
    """Resize a frame to a fixed-size model's input (dynamic models take it as it is)."""
    h, w = engine.meta.height, engine.meta.width
    if h and w and rgb.shape[:2] != (h, w):
        return cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    return rgb


def stylize_jpeg(model: LiveModel, jpeg: bytes, quality: int) -> tuple[bytes, dict]:
    """A camera JPEG -> (stylized JPEG, {"infer_ms", "width", "height"}); runs in a worker thread."""
    rgb = fit_to_model(decode_jpeg(jpeg, MAX_CAMERA_PIXELS), model.engine)
    t0 = time.perf_counter()
    out = model.engine.stylize(rgb, model.state.get())
    infer_ms = (time.perf_counter() - t0) * 1e3
    return encode_jpeg(out, quality), {"infer_ms": round(infer_ms, 2), "width": out.shape[1], "height": out.shape[0]}


def process_size(size: tuple[int, int], engine: Engine, max_side: int) -> tuple[int, int] | None:
    """(w, h) a clip of `size` runs the model at: a fixed-size model's, or scaled to `max_side`, or None."""
    if engine.meta.height and engine.meta.width:
        return engine.meta.width, engine.meta.height
    w, h = size
    if max(w, h) <= max_side or not w or not h:
        return None
    s = max_side / max(w, h)
    return max(2, round(w * s)), max(2, round(h * s))


class ClipPlayer:
    """Plays the live clip at its own frame rate, looping, through the live pipeline, in a thread.

    Each stylized frame goes to `on_frame(header, jpeg)` (from the player's thread); a failure goes to
    `on_error(message)` and ends the player. A model or clip swap restarts the clip with the new one.
    """

    def __init__(
        self,
        live: Live,
        on_frame: Callable[[dict, bytes], None],
        on_error: Callable[[str], None],
        quality: int = 80,
        max_side: int = 640,
    ) -> None:
        self.live, self.on_frame, self.on_error = live, on_frame, on_error
        self.quality, self.max_side = quality, max_side
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stylelite-serve-clip", daemon=True)

    def start(self) -> ClipPlayer:
        _PLAYERS.add(self)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the player to stop (it does at its next frame); wait up to `timeout` s for it when given.

        Returns whether its thread has ended.
        """
        self._stop.set()
        if timeout is not None and self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        """Whether its thread still runs (it ends when stopped, and on an error)."""
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.is_set():  # (stop_all_players ends every player at server stop and at exit)
            model, clip, version = self.live.model, self.live.clip, self.live.clip_version
            try:
                self._play_once(model, clip, version)
            except Exception as exc:
                if self.live.model is not model or self.live.clip_version != version:
                    continue  # the upload that replaced the clip or model also broke the old one: play the new
                if not isinstance(exc, StyleliteError):  # a bug: log it, and say so on the page
                    log.exception("the clip player failed")
                self.on_error(f"the clip stopped: {exc}")
                return

    def _play_once(self, model: LiveModel, clip: Path | None, clip_version: int) -> None:
        """Play until stopped or until the model or clip changes."""
        from stylelite.runtime.pipeline import PipelineStats, stream_frames
        from stylelite.runtime.sources import open_source

        if clip is None:
            self._stop.set()
            self.on_error("no clip to play: start the server with --clip FILE or upload one")
            return
        source = open_source(clip, realtime=True, loop=True)
        stats = PipelineStats("live")
        size = process_size(source.size, model.engine, self.max_side)
        frames = stream_frames(
            source, model.engine, mode="live", style_state=model.state, process_size=size, stats=stats
        )
        with contextlib.closing(frames):
            for sf in frames:
                if self._stop.is_set() or self.live.model is not model or self.live.clip_version != clip_version:
                    return
                jpeg = encode_jpeg(sf.styled, self.quality)
                header = {
                    "id": sf.index,
                    "source": "clip",
                    "server_ms": round((time.perf_counter() - sf.t_capture) * 1e3, 2),
                    "infer_ms": round(stats.stage_ms["infer"][-1], 2) if stats.stage_ms["infer"] else None,
                    "dropped": stats.dropped,
                    "width": sf.styled.shape[1],
                    "height": sf.styled.shape[0],
                    "fps": round(source.fps, 2),
                    "version": model.version,
                }
                self.on_frame(header, jpeg)


# Every started player, so that a server that stops (or the interpreter that exits) ends them all, even when
# a page's own shutdown was cut short: a player left running native inference at exit aborts the process.
_PLAYERS: weakref.WeakSet[ClipPlayer] = weakref.WeakSet()


def stop_all_players(timeout: float = 5.0) -> bool:
    """Stop every clip player and wait up to `timeout` s for each; returns whether all have ended."""
    players = list(_PLAYERS)
    for player in players:
        player.stop()
    return all(player.stop(timeout) for player in players)


atexit.register(stop_all_players)
