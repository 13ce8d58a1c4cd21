"""One page's WebSocket: camera frames in, stylized frames out, or the clip pushed; newest frame wins.

Messages from the page: binary = a camera frame (see wire.py); text = JSON
`{"type": "source", "source": "camera" | "clip"}`. To the page: binary = a stylized frame whose
header carries `id`, `source`, `server_ms`, `infer_ms`, `dropped`, `width`, `height`, `version`;
text = `{"type": "error", "message": ...}`.

Both directions hold at most one waiting frame: a newer one replaces it and counts as dropped, so
latency stays bounded when the model or the network is slower than the camera.

Source switches only record the wanted source; one task per page starts and stops the clip player to
match it, joining the old player before it starts a new one. A burst of switches therefore costs at
most one player start and stop at a time, and a page never holds more than one player thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from concurrent.futures import Executor

from stylelite.runtime.errors import StyleliteError
from stylelite.runtime.serve.live import ClipPlayer, Live, stylize_jpeg
from stylelite.runtime.serve.wire import pack, unpack

SOURCES = ("camera", "clip")
SLOW_STOP_S = 10.0  # a clip player that takes longer than this to stop is logged (and still waited for)
log = logging.getLogger("stylelite.serve")


class Latest:
    """A one-item asyncio mailbox: put() replaces a waiting item (counted in `dropped`); get() waits."""

    def __init__(self) -> None:
        self._item = None
        self._ready = asyncio.Event()
        self.dropped = 0

    def put(self, item) -> None:
        if self._item is not None:
            self.dropped += 1
        self._item = item
        self._ready.set()

    async def get(self):
        await self._ready.wait()
        self._ready.clear()
        item, self._item = self._item, None
        return item


class Connection:
    def __init__(self, ws, live: Live, executor: Executor, quality: int = 80, max_side: int = 640) -> None:
        self.ws, self.live, self.executor = ws, live, executor
        self.quality, self.max_side = quality, max_side
        self.incoming, self.outgoing = Latest(), Latest()
        self.player: ClipPlayer | None = None
        self.source = "camera"
        self._source_changed = asyncio.Event()

    async def run(self) -> None:
        await self.ws.accept()
        if self.live.clients >= self.live.max_clients:
            await self.ws.close(code=1013, reason=f"at most {self.live.max_clients} pages at a time")
            return
        self.live.clients += 1
        tasks = [self._send_loop(), self._camera_loop(), self._player_loop()]
        tasks = [asyncio.create_task(t) for t in tasks]
        try:
            while True:
                msg = await self.ws.receive()
                if msg["type"] == "websocket.disconnect":
                    break
                if msg.get("bytes") is not None:
                    self.incoming.put((time.perf_counter(), msg["bytes"]))
                elif msg.get("text") is not None:
                    await self._command(msg["text"])
        finally:
            self.live.clients -= 1
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self.player is not None:
                self.player.stop()  # at once, even if the wait below is cut short
                await self._join_player()

    async def _command(self, text: str) -> None:
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None
        if not isinstance(msg, dict) or msg.get("type") != "source" or msg.get("source") not in SOURCES:
            await self.error('unknown message: send {"type": "source", "source": "camera" or "clip"}')
            return
        self.source = msg["source"]
        self._source_changed.set()  # the player loop catches up; a burst of switches is coalesced

    async def _player_loop(self) -> None:
        """Keep at most one clip player, playing while the source is the clip (and restarted after it ended)."""
        while True:
            await self._source_changed.wait()
            self._source_changed.clear()
            if self.player is not None and (self.source != "clip" or not self.player.alive):
                await self._join_player()
            if self.source == "clip" and self.player is None:
                self.player = self._start_player(asyncio.get_running_loop())

    def _start_player(self, loop: asyncio.AbstractEventLoop) -> ClipPlayer:
        return ClipPlayer(
            self.live,
            on_frame=lambda header, jpeg: _call_soon(loop, self.outgoing.put, (header, jpeg)),
            on_error=lambda message: _call_soon(loop, self._error_soon, message),
            quality=self.quality,
            max_side=self.max_side,
        ).start()

    async def _join_player(self) -> None:
        """Stop the clip player and wait (off the event loop) until its thread has ended."""
        player, waited = self.player, 0.0
        while not await asyncio.to_thread(player.stop, 1.0):
            waited += 1.0
            if waited == SLOW_STOP_S:
                log.warning("the clip player has not stopped after %.0f s; still waiting", waited)
        self.player = None

    async def _camera_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t_in, message = await self.incoming.get()
            if self.source != "camera":
                continue
            model = self.live.model
            try:
                header, jpeg = unpack(message)
                payload, info = await loop.run_in_executor(self.executor, stylize_jpeg, model, jpeg, self.quality)
            except StyleliteError as exc:
                await self.error(str(exc))
                continue
            except Exception as exc:  # a bug: keep serving, log the traceback, tell the page
                log.exception("stylizing a camera frame failed")
                await self.error(f"stylizing the frame failed: {type(exc).__name__}: {exc}")
                continue
            server_ms = round((time.perf_counter() - t_in) * 1e3, 2)
            out = {"id": header.get("id"), "source": "camera", "server_ms": server_ms, **info}
            self.outgoing.put(({**out, "dropped": self.incoming.dropped, "version": model.version}, payload))

    async def _send_loop(self) -> None:
        while True:
            header, payload = await self.outgoing.get()
            if header["source"] != self.source:
                continue  # a late frame of the source the page just left
            header["dropped"] += self.outgoing.dropped
            await self.ws.send_bytes(pack(header, payload))

    async def error(self, message: str) -> None:
        await self.ws.send_text(json.dumps({"type": "error", "message": message}))

    def _error_soon(self, message: str) -> None:
        asyncio.ensure_future(self.error(message))


def _call_soon(loop: asyncio.AbstractEventLoop, fn, *args) -> None:
    """Hand a call from a player thread to the event loop (a closed loop means the page is gone)."""
    try:
        loop.call_soon_threadsafe(fn, *args)
    except RuntimeError:
        pass
