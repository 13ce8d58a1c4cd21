"""Frame sizes: the one parser of WxH options, their bounds, and the memory check of a frame size."""

from __future__ import annotations

from stylelite.runtime.errors import ConfigError, InputError

MAX_SIDE = 8192  # the largest width or height a WxH option takes (8K video is 7680x4320)


def parse_size(text: str | None) -> tuple[int, int] | None:
    """ "640x360" -> (640, 360); None/"" -> None (the one parser of WxH options)."""
    if not text:
        return None
    try:
        w, h = (int(v) for v in str(text).lower().split("x"))
    except ValueError:
        raise ConfigError(f"size {text!r}: write it as WIDTHxHEIGHT, e.g. 640x480") from None
    check_size((w, h), f"size {text!r}")
    return w, h


def check_size(size: tuple[int, int], what: str) -> None:
    """ConfigError unless both sides of `size` (w, h) are in [8, MAX_SIDE]."""
    w, h = size
    if w < 8 or h < 8:
        raise ConfigError(f"{what} is too small (8x8 at least)")
    if w > MAX_SIDE or h > MAX_SIDE:
        raise ConfigError(f"{what} is too large ({MAX_SIDE} pixels per side at most)")


def check_frame_memory(engine, size: tuple[int, int], limit: int, what: str) -> None:
    """InputError before a frame of `size` (w, h, as the model gets it) runs when the engine's estimate of
    its activation memory is over `limit` bytes; the message suggests a --process-size that fits."""
    w, h = size
    estimate = getattr(engine, "activation_bytes", None)  # engines outside the Engine base may lack it
    need = estimate(h, w) if estimate is not None else 0
    if need <= limit:
        return
    scale = (limit / need) ** 0.5 * 0.9
    stride = max(1, int(getattr(engine.meta, "stride", 1) or 1))
    fit_w, fit_h = (max(8, int(v * scale) // stride * stride) for v in (w, h))
    raise InputError(
        f"{what} is {w}x{h}: the model needs about {need / 1e6:.0f} MB of memory for a frame this size, more "
        f"than the {limit / 1e6:.0f} MB this run allows (--memory-limit; default: half the memory available); "
        f"add --process-size {fit_w}x{fit_h} (the output is resized back) or use a smaller input"
    )
