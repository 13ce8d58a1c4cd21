"""Engines behind one interface, chosen from the artifact's file type."""

from __future__ import annotations

from pathlib import Path

from runtime.engines.base import Engine
from runtime.errors import ConfigError, InputError
from runtime.registry import Registry

ENGINES: Registry = Registry("engine")
CHECKPOINT_SUFFIXES = (".safetensors", ".pth", ".pt")


def _ort(path, threads=0, *, providers=None, graph_optimization="all", spin=True, **_):
    from runtime.engines.onnxruntime_engine import OrtEngine

    return OrtEngine(path, threads=threads, providers=providers, graph_optimization=graph_optimization, spin=spin)


def _litert(path, threads=0, *, xnnpack=True, **_):
    from runtime.engines.litert_engine import LiteRTEngine

    return LiteRTEngine(path, threads=threads, xnnpack=xnnpack)


def _torch(path, threads=0, *, arch=None, **_):
    # Checkpoints run through PyTorch on a development machine. The engine lives in export/ (runtime
    # never imports torch) and is imported by module path only when a checkpoint is loaded.
    import importlib

    from runtime.errors import require

    require("torch", "train")
    return importlib.import_module("export.torch_engine").TorchEngine(path, threads=threads, arch=arch)


ENGINES.add(".onnx", _ort)
ENGINES.add(".tflite", _litert)
for _suffix in CHECKPOINT_SUFFIXES:
    ENGINES.add(_suffix, _torch)


def load_engine(
    path: str | Path,
    threads: int = 0,
    *,
    providers: list[str] | str | None = None,
    graph_optimization: str = "all",
    xnnpack: bool = True,
    arch: str | None = None,
    spin: bool = True,
) -> Engine:
    """Open a model file with the engine its suffix calls for.

    `.onnx` -> onnxruntime, `.tflite` -> LiteRT, `.safetensors/.pth/.pt` -> PyTorch (needs the train
    extra). Options that do not apply to the chosen engine are ignored: `providers` and
    `graph_optimization` and `spin` are onnxruntime's, `xnnpack` is LiteRT's. `arch` (the architecture of an
    upstream `.pth/.pt` checkpoint, e.g. cyclegan_r9) is an error for any other kind of file, since
    artifacts carry their own metadata.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"model file not found: {path}")
    if path.suffix not in ENGINES:
        raise InputError(f"{path.name}: unsupported model type {path.suffix!r} (supported: {', '.join(ENGINES)})")
    if arch is not None and path.suffix not in CHECKPOINT_SUFFIXES:
        raise ConfigError(
            f"--arch applies to checkpoints ({', '.join(CHECKPOINT_SUFFIXES)}) only; "
            f"{path.name} carries its own metadata"
        )
    return ENGINES.get(path.suffix)(
        path,
        threads=threads,
        providers=providers,
        graph_optimization=graph_optimization,
        xnnpack=xnnpack,
        arch=arch,
        spin=spin,
    )


__all__ = ["Engine", "ENGINES", "CHECKPOINT_SUFFIXES", "load_engine"]
