"""What `stylelite serve` serves, where, and who may use it."""

from __future__ import annotations

import ipaddress
import math
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from stylelite.runtime.engines.options import EngineOptions
from stylelite.runtime.errors import ConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
MIN_TOKEN_CHARS = 16
MAX_UPLOAD_MB = 10240.0  # 10 GB: the largest upload limit that makes sense for a clip or a model


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
        for flag, value in (("--max-clip-mb", self.max_clip_mb), ("--max-model-mb", self.max_model_mb)):
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or not math.isfinite(value) or not 0 <= value <= MAX_UPLOAD_MB:
                raise ConfigError(
                    f"{flag} {value!r}: give a number of MB from 0 (that kind of upload refused) to {MAX_UPLOAD_MB:g}"
                )
        if self.max_side < 16:
            raise ConfigError(f"max_side {self.max_side} is too small: use at least 16 pixels")
        if not 1 <= self.jpeg_quality <= 100:
            raise ConfigError(f"jpeg_quality {self.jpeg_quality}: use 1-100")
        if (self.certfile is None) != (self.keyfile is None):
            raise ConfigError("HTTPS needs both --certfile and --keyfile")

    def check_tls_files(self) -> None:
        """Refuse a certificate or key that is missing, unreadable or not a PEM pair that loads (one line each).

        Checked before anything is printed or bound, so `serve` never shows an https URL it cannot serve.
        """
        if self.certfile is None or self.keyfile is None:
            return
        import ssl

        for flag, path in (("--certfile", self.certfile), ("--keyfile", self.keyfile)):
            if not Path(path).is_file():
                raise ConfigError(f"{flag} {path}: file not found")
            if not os.access(path, os.R_OK):
                raise ConfigError(f"{flag} {path}: not readable by this user")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:  # an encrypted key gets an empty password: refused here instead of a prompt later
            context.load_cert_chain(self.certfile, self.keyfile, password=lambda: b"")
        except (ssl.SSLError, OSError, ValueError) as exc:
            why = getattr(exc, "reason", None) or (str(exc).splitlines() or [type(exc).__name__])[0]
            raise ConfigError(
                f"--certfile {self.certfile} / --keyfile {self.keyfile}: not a TLS certificate and its unencrypted "
                f"private key in PEM format ({why})"
            ) from None

    @property
    def scheme(self) -> str:
        return "http" if self.certfile is None else "https"
