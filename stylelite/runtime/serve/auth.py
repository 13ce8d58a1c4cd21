"""Who may talk to the server: the access token, plus Host and Origin checks against other web pages.

One ASGI middleware guards every HTTP request and WebSocket handshake:
- token: when set, each request carries it as `?token=` or `Authorization: Bearer`, compared with
  secrets.compare_digest;
- Host: without a token (loopback only) the Host header must name a loopback address, so a web page
  that rebinds its own domain to 127.0.0.1 cannot reach the server;
- Origin: a WebSocket handshake or a POST sent by a browser must come from this server's own page.
"""

from __future__ import annotations

import json
import secrets
from urllib.parse import parse_qs, urlsplit

from stylelite.runtime.serve.config import is_loopback

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _headers(scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def request_token(scope) -> str:
    """The token a request carries ("" when none)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    if query.get("token"):
        return query["token"][0]
    auth = _headers(scope).get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


def refusal(scope, token: str | None) -> tuple[int, str] | None:
    """(HTTP status, message) when the request must be refused, else None."""
    headers = _headers(scope)
    host = headers.get("host", "")
    if token is not None:
        if not secrets.compare_digest(request_token(scope).encode(), token.encode()):
            return (
                401,
                "missing or wrong access token: open the URL that stylelite serve printed (it ends in ?token=...)",
            )
    elif not is_loopback(urlsplit(f"//{host}").hostname or ""):
        return 400, f"unexpected Host {host!r}: this server answers only on a loopback address"
    origin = headers.get("origin")
    needs_origin_check = scope["type"] == "websocket" or scope.get("method", "GET") not in SAFE_METHODS
    if origin and needs_origin_check and urlsplit(origin).netloc.lower() != host.lower():
        return 403, f"requests from {origin} are refused: use the page this server serves"
    return None


class AccessMiddleware:
    """Refuse HTTP requests with a JSON error and WebSocket handshakes with close code 1008."""

    def __init__(self, app, token: str | None) -> None:
        self.app, self.token = app, token

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        refused = refusal(scope, self.token)
        if refused is None:
            return await self.app(scope, receive, send)
        status, message = refused
        if scope["type"] == "websocket":
            await receive()  # the handshake's websocket.connect, then refuse it
            await send({"type": "websocket.close", "code": 1008, "reason": message[:120]})
            return
        body = json.dumps({"detail": message}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
