"""What `stylelite serve` serves, where, and who may use it."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path

from stylelite.runtime.engines.options import EngineOptions
from stylelite.runtime.errors import ConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
MIN_TOKEN_CHARS = 16


def is_loopback(host: str) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1; any other name or address counts as reachable from outside."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def resolve_token(host: str, token: str | None) -> str | None:
    """The token to require: the one given, else a new random one when `host` is not loopback, else None."""
    if token:
        return token
    return None if is_loopback(host) else secrets.token_urlsafe(24)


@dataclass(frozen=True)
class ServeConfig:
    """`stylelite serve` settings (the CLI's options, one for one).

    Attributes:
        model: exported artifact (.onnx or .tflite) to start with; the page may upload another.
        clip: a video to offer as the "clip" source (the page may upload another).
        host: address to bind; anything but loopback needs a token.
        port: TCP port; 0 picks a free one.
        token: access token every HTTP and WebSocket request must carry (None: none, loopback only).
        threads: inference threads (0: the engine's default).
        engine_options: the other engine options (providers, graph optimization, XNNPACK), for every model.
        max_clip_mb: largest clip upload in MB (0: clip uploads refused).
        max_model_mb: largest model upload in MB (0: model uploads refused).
        max_side: clip frames whose longer side is larger are scaled down to it before the model.
        jpeg_quality: quality of the JPEG frames sent to the page.
        certfile, keyfile: serve HTTPS (browsers allow the camera only on https:// or localhost).
    """

    model: Path
    clip: Path | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    threads: int = 0
    engine_options: EngineOptions = EngineOptions()
    max_clip_mb: float = 200.0
    max_model_mb: float = 100.0
    max_side: int = 640
    jpeg_quality: int = 80
    certfile: Path | None = None
    keyfile: Path | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"port {self.port} is out of range: use 1-65535, or 0 to pick a free one")
        if self.token is not None and len(self.token) < MIN_TOKEN_CHARS:
            raise ConfigError(
                f"the token is too short ({len(self.token)} characters): use at least {MIN_TOKEN_CHARS}, "
                "or leave --token out to have one generated"
            )
        if self.token is None and not is_loopback(self.host):
            raise ConfigError(
                f"binding to {self.host} (not loopback) needs an access token: pass one, or make one with "
                "resolve_token(host, None)"
            )
        if self.max_clip_mb < 0 or self.max_model_mb < 0:
            raise ConfigError("upload limits must be >= 0 MB (0 refuses that kind of upload)")
        if self.max_side < 16:
            raise ConfigError(f"max_side {self.max_side} is too small: use at least 16 pixels")
        if not 1 <= self.jpeg_quality <= 100:
            raise ConfigError(f"jpeg_quality {self.jpeg_quality}: use 1-100")
        if (self.certfile is None) != (self.keyfile is None):
            raise ConfigError("HTTPS needs both --certfile and --keyfile")

    @property
    def scheme(self) -> str:
        return "http" if self.certfile is None else "https"
