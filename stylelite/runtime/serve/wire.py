"""Frames on the WebSocket: one binary message = 4-byte big-endian header length, JSON header, JPEG.

The page sends `{"id": n}` + a camera JPEG; the server answers `{"id": n, "server_ms": ..., ...}` +
the stylized JPEG (and pushes clip frames the same way).
"""

from __future__ import annotations

import json
import struct

import cv2
import numpy as np

from stylelite.runtime.errors import InputError

MAX_HEADER_BYTES = 4096
_SOF_MARKERS = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def pack(header: dict, payload: bytes) -> bytes:
    head = json.dumps(header, separators=(",", ":")).encode()
    return struct.pack(">I", len(head)) + head + payload


def unpack(message: bytes) -> tuple[dict, bytes]:
    if len(message) < 4:
        raise InputError("frame message too short: expected a 4-byte header length, a JSON header and a JPEG")
    (n,) = struct.unpack(">I", message[:4])
    if n > MAX_HEADER_BYTES or 4 + n > len(message):
        raise InputError(f"frame message header of {n} bytes does not fit the message")
    try:
        header = json.loads(message[4 : 4 + n])
    except ValueError:
        raise InputError("frame message header is not JSON") from None
    if not isinstance(header, dict):
        raise InputError("frame message header must be a JSON object")
    return header, message[4 + n :]


def jpeg_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a JPEG's frame header, read before decoding (so a huge image is refused cheaply)."""
    if data[:2] != b"\xff\xd8":
        raise InputError("frame is not a JPEG")
    i = 2
    while i + 9 <= len(data):
        if data[i] != 0xFF:
            break
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF_MARKERS:
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return w, h
        i += 2 + length
    raise InputError("frame is not a readable JPEG (no frame header)")


def decode_jpeg(data: bytes, max_pixels: int) -> np.ndarray:
    """JPEG bytes -> uint8 RGB [H,W,3]; refuses images over `max_pixels`."""
    w, h = jpeg_size(data)
    if w * h > max_pixels or not w or not h:
        raise InputError(f"frame of {w}x{h} is too large or empty: send at most {max_pixels} pixels")
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError("frame is not a readable JPEG")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def encode_jpeg(rgb: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise InputError(f"could not encode a {rgb.shape[1]}x{rgb.shape[0]} frame as JPEG")
    return buf.tobytes()
