"""The FastAPI app of `stylelite serve`: the page, its state and control endpoints, uploads, the WebSocket.

Routes (each behind auth.AccessMiddleware):
    GET  /                     the page (static/index.html)
    GET  /api/state            model, styles, current control, clip, upload limits
    POST /api/control          JSON {style, blend_with, mix, strength} (any subset) -> the new state
    POST /api/upload/{kind}    kind clip|model, ?filename=NAME, the file as the raw request body
    WS   /ws                   frames (connection.py)
Every user error answers JSON {"detail": message} with a 4xx status.
"""

import contextlib  # no `from __future__ import annotations`: FastAPI reads the route annotations at stylelite.runtime
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from stylelite.runtime.errors import ConfigError, InputError, StyleliteError, require
from stylelite.runtime.serve.auth import AccessMiddleware
from stylelite.runtime.serve.config import ServeConfig
from stylelite.runtime.serve.live import Live
from stylelite.runtime.serve.uploads import UploadStore, check_clip, check_model

PAGE = Path(__file__).with_name("static") / "index.html"
NO_CACHE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


def parse_control(body) -> dict:
    """A POSTed control change -> StyleState.update keywords (type errors are ConfigErrors)."""
    if not isinstance(body, dict) or not body:
        raise ConfigError('send a JSON object with style, blend_with, mix and/or strength, e.g. {"strength": 0.5}')
    changes = {}
    for key, value in body.items():
        if key in ("mix", "strength"):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{key} must be a number in [0, 1], got {value!r}")
            value = float(value)
        elif key in ("style", "blend_with"):
            if value is not None and not isinstance(value, str):
                raise ConfigError(f"{key} must be a style name or null, got {value!r}")
            value = value or None
        changes[key] = value
    return changes


def create_app(config: ServeConfig, engine=None):
    """Build the app for `config` (`engine`: an already loaded model, else config.model is loaded)."""
    require("fastapi", "serve")
    from fastapi import FastAPI, Request, WebSocket
    from fastapi.responses import HTMLResponse, JSONResponse

    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.serve.connection import Connection

    engine = engine or load_engine(config.model, threads=config.threads, options=config.engine_options)
    if config.clip is not None:
        try:
            check_clip(config.clip)
        except InputError as exc:
            raise InputError(f"--clip {config.clip}: {exc}") from None
    live = Live(engine, Path(config.model).name, config.clip)
    store = UploadStore()
    executor = ThreadPoolExecutor(1, thread_name_prefix="stylelite-serve")
    limits = {"clip_mb": config.max_clip_mb, "model_mb": config.max_model_mb}

    @contextlib.asynccontextmanager
    async def lifespan(app):
        try:
            yield
        finally:
            executor.shutdown(wait=False, cancel_futures=True)
            store.close()

    app = FastAPI(title="stylelite serve", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(AccessMiddleware, token=config.token)
    app.state.live, app.state.store = live, store

    def state() -> dict:
        return {**live.describe(), "limits": limits}

    @app.exception_handler(StyleliteError)
    async def user_error(request: Request, exc: StyleliteError):
        return JSONResponse({"detail": str(exc)}, status_code=getattr(exc, "status", 400))

    @app.get("/")
    async def page():
        return HTMLResponse(PAGE.read_text(encoding="utf-8"), headers=NO_CACHE)

    @app.get("/api/state")
    async def get_state():
        return JSONResponse(state(), headers=NO_CACHE)

    @app.post("/api/control")
    async def control(request: Request):
        try:
            body = await request.json()
        except ValueError:
            raise ConfigError('the body is not JSON: send e.g. {"strength": 0.5}') from None
        live.model.state.update(**parse_control(body))
        return state()

    @app.post("/api/upload/{kind}")
    async def upload(kind: str, request: Request, filename: str = ""):
        declared = request.headers.get("content-length")
        limit = {"clip": config.max_clip_mb, "model": config.max_model_mb}.get(kind, 0.0)
        check = (
            check_clip if kind == "clip" else (lambda path: check_model(path, config.threads, config.engine_options))
        )
        path, checked = await store.receive(
            kind, filename, request.stream(), limit, int(declared) if declared else None, check
        )
        if kind == "clip":
            live.set_clip(path, Path(filename).name)
        else:
            checked.path = path
            live.set_model(checked, Path(filename).name)
        return state()

    @app.websocket("/ws")
    async def frames(ws: WebSocket):
        await Connection(ws, live, executor, config.jpeg_quality, config.max_side).run()

    return app
