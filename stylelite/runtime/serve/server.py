"""Bind, then run uvicorn: in the foreground (`serve`, the CLI) or in a thread (`start_server`, tests)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from stylelite.runtime.engines.options import EngineOptions
from stylelite.runtime.errors import ConfigError, require
from stylelite.runtime.serve.config import DEFAULT_HOST, DEFAULT_PORT, ServeConfig, is_loopback, resolve_token

MAX_MESSAGE_BYTES = 8 * 1024 * 1024  # one WebSocket message: a camera JPEG


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: a free one)."""
    try:
        family, kind, proto, _, addr = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc} (try another --port, or 0)") from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


def page_url(config: ServeConfig, port: int) -> str:
    """The URL to open: loopback stays as given; a wildcard bind shows 127.0.0.1."""
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::", "") else config.host
    host = f"[{host}]" if ":" in host else host
    query = f"?token={quote(config.token)}" if config.token else ""
    return f"{config.scheme}://{host}:{port}/{query}"


def _uvicorn_server(config: ServeConfig, app):
    uvicorn = require("uvicorn", "serve")
    return uvicorn.Server(
        uvicorn.Config(
            app,
            log_level="warning",
            ws_max_size=MAX_MESSAGE_BYTES,
            timeout_graceful_shutdown=3,
            ssl_certfile=str(config.certfile) if config.certfile else None,
            ssl_keyfile=str(config.keyfile) if config.keyfile else None,
        )
    )


@dataclass
class RunningServer:
    """A server started by start_server(); `stop()` shuts it down."""

    url: str
    port: int
    config: ServeConfig
    app: object
    _server: object
    _thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        from stylelite.runtime.serve.live import stop_all_players

        self._server.should_exit = True
        self._thread.join(timeout)
        stop_all_players(timeout)  # a page whose shutdown was cut short may have left its clip player running


def start_server(config: ServeConfig, engine=None, ready_timeout: float = 30.0) -> RunningServer:
    """Start the server in a background thread and return once it accepts connections."""
    from stylelite.runtime.serve.app import create_app

    config.check_tls_files()
    app = create_app(config, engine)
    sock = bind(config.host, config.port)
    port = sock.getsockname()[1]
    server = _uvicorn_server(config, app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="stylelite-serve", daemon=True)
    thread.start()
    deadline = time.monotonic() + ready_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise ConfigError(f"the server on {config.host}:{port} did not start")
        time.sleep(0.02)
    return RunningServer(page_url(config, port), port, config, app, server, thread)


def serve(
    model: str | Path,
    clip: str | Path | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    token: str | None = None,
    threads: int = 0,
    engine_options: EngineOptions | None = None,
    max_clip_mb: float = 200.0,
    max_model_mb: float = 100.0,
    max_side: int = 640,
    jpeg_quality: int = 80,
    certfile: str | Path | None = None,
    keyfile: str | Path | None = None,
) -> None:
    """Serve the live page until interrupted; prints the URL to open (with its token) first.

    The parameters are ServeConfig's; without `token`, a non-loopback `host` gets a random one.
    """
    from stylelite.runtime.serve.app import create_app

    config = ServeConfig(
        model=Path(model),
        clip=Path(clip) if clip else None,
        host=host,
        port=port,
        token=resolve_token(host, token),
        threads=threads,
        engine_options=engine_options or EngineOptions(),
        max_clip_mb=max_clip_mb,
        max_model_mb=max_model_mb,
        max_side=max_side,
        jpeg_quality=jpeg_quality,
        certfile=Path(certfile) if certfile else None,
        keyfile=Path(keyfile) if keyfile else None,
    )
    config.check_tls_files()  # before the URL is printed
    app = create_app(config)
    sock = bind(config.host, config.port)
    url = page_url(config, sock.getsockname()[1])
    print(f"stylelite serve: open {url}", flush=True)
    if not is_loopback(config.host):
        note = "" if token else " (a new token: pass --token to keep one across restarts)"
        print(f"  listening on {config.host}: anyone who has the URL with its token can use it{note}", flush=True)
        if config.certfile is None:
            print(
                "  over plain http, browsers allow the camera only on localhost: add --certfile/--keyfile", flush=True
            )
    print("  Ctrl-C stops it", flush=True)
    try:
        _uvicorn_server(config, app).run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its graceful shutdown: that is how a server stops
        print("stylelite serve: stopped", flush=True)
    finally:
        sock.close()
        app.state.store.close()
