"""A TCP proxy on 127.0.0.1 that cuts connections mid-stream: a dropped link, for real, in tests.

`CuttingProxy(upstream_port, cut_first=N)` forwards connections to 127.0.0.1:upstream_port,
except the first N (or every one with `cut_first=None`): those are cut after `cut_after` bytes
have come back from the server (by default: the SSH banner and part of the key exchange). Threads and plain
sockets, every wait bounded by a timeout; `close()` stops it all.
"""

from __future__ import annotations

import socket
import threading


class CuttingProxy:
    def __init__(self, upstream_port: int, cut_first: int | None = 0, cut_after: int = 100) -> None:
        self.upstream_port = upstream_port
        self.cut_first = cut_first  # None: cut every connection
        self.cut_after = cut_after  # bytes from the server forwarded before a cut
        self.accepted = 0
        self.cut = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept_loop)

    def _spawn(self, fn, *args) -> None:
        t = threading.Thread(target=fn, args=args, daemon=True)
        self._threads.append(t)
        t.start()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                cut = self.cut_first is None or self.accepted <= self.cut_first
                self.cut += cut
            self._spawn(self._serve, client, cut)

    def _serve(self, client: socket.socket, cut: bool) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5)
        except OSError:
            client.close()
            return
        for s in (client, upstream):
            s.settimeout(0.5)
            self._sockets.append(s)
        budget = [self.cut_after] if cut else None
        done = threading.Event()
        self._spawn(self._pipe, client, upstream, None, done)
        self._pipe(upstream, client, budget, done)
        for s in (client, upstream):
            try:
                s.close()
            except OSError:
                pass

    def _pipe(self, src: socket.socket, dst: socket.socket, budget: list[int] | None, done: threading.Event) -> None:
        """Copy src -> dst until either side closes; with a budget, cut both after that many bytes."""
        while not (self._stop.is_set() or done.is_set()):
            try:
                data = src.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            if budget is not None:
                data = data[: budget[0]]
                budget[0] -= len(data)
            try:
                dst.sendall(data)
            except OSError:
                break
            if budget is not None and budget[0] <= 0:
                break  # the cut: both ends are closed below, mid-handshake
        done.set()
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for s in self._sockets:
            try:
                s.close()
            except OSError:
                pass
        for t in self._threads:
            t.join(timeout=2)

    def __enter__(self) -> CuttingProxy:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
