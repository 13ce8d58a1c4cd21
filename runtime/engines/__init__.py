"""Engines behind one interface, chosen from the artifact's file type."""

from __future__ import annotations

from pathlib import Path

from runtime.engines.base import Engine
from runtime.errors import InputError
from runtime.registry import Registry

ENGINES: Registry = Registry("engine")


def _ort(path, threads=0):
    from runtime.engines.onnxruntime_engine import OrtEngine

    return OrtEngine(path, threads=threads)


def _litert(path, threads=0):
    from runtime.engines.litert_engine import LiteRTEngine

    return LiteRTEngine(path, threads=threads)


ENGINES.add(".onnx", _ort)
ENGINES.add(".tflite", _litert)


def load_engine(path: str | Path, threads: int = 0) -> Engine:
    """Open an exported artifact with the engine its suffix calls for."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"model file not found: {path}")
    if path.suffix not in ENGINES:
        raise InputError(f"{path.name}: unsupported model type {path.suffix!r} (supported: {', '.join(ENGINES)})")
    return ENGINES.get(path.suffix)(path, threads=threads)


__all__ = ["Engine", "ENGINES", "load_engine"]
