"""Engines behind one interface, chosen from the artifact's file type.

The runtime registers its own engines (onnxruntime for `.onnx`, LiteRT for `.tflite`). Engines that
need more than the runtime (the torch engine for checkpoints) register themselves from above with
`register_engine` when their module is imported; the runtime never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from stylelite.runtime.engines.base import Engine
from stylelite.runtime.engines.options import OPTION_FLAGS, EngineOptions
from stylelite.runtime.errors import ConfigError, InputError, MissingBackendError
from stylelite.runtime.registry import Registry

# Checkpoint suffixes: served by the torch engine once it is registered (stylelite.models.torch_engine).
CHECKPOINT_SUFFIXES = (".safetensors", ".pth", ".pt")


@dataclass(frozen=True)
class EngineEntry:
    """One engine: `factory(path, threads, spin=..., **options)` and the options it takes."""

    name: str
    factory: Callable[..., Engine]
    options: frozenset[str]


ENGINES: Registry[EngineEntry] = Registry("engine")


def register_engine(suffix: str, name: str, factory: Callable[..., Engine], options: tuple[str, ...] = ()) -> None:
    """Serve files ending in `suffix` with `factory`; `options` are the EngineOptions fields it takes."""
    ENGINES.add(suffix, EngineEntry(name, factory, frozenset(options)))


def _ort(path, threads=0, *, spin=True, providers=None, graph_optimization=None):
    from stylelite.runtime.engines.onnxruntime_engine import OrtEngine

    return OrtEngine(
        path, threads=threads, providers=providers, graph_optimization=graph_optimization or "all", spin=spin
    )


def _litert(path, threads=0, *, spin=True, xnnpack=None):
    from stylelite.runtime.engines.litert_engine import LiteRTEngine

    return LiteRTEngine(path, threads=threads, xnnpack=True if xnnpack is None else xnnpack)


register_engine(".onnx", "onnxruntime", _ort, ("providers", "graph_optimization"))
register_engine(".tflite", "LiteRT", _litert, ("xnnpack",))


def load_engine(
    path: str | Path,
    threads: int = 0,
    *,
    options: EngineOptions | None = None,
    spin: bool = True,
    **option_values,
) -> Engine:
    """Open a model file with the engine its suffix calls for.

    `.onnx` -> onnxruntime, `.tflite` -> LiteRT, checkpoints -> PyTorch once the torch engine is
    registered (importing stylelite.models.torch_engine does that; the CLI does it for a checkpoint).
    An option the chosen engine does not take is a ConfigError, never silently dropped.

    Args:
        threads: intra-op threads (0: the engine's default); overrides `options.threads` when set. With
            `options.workers` > 1 (an EnginePool of that many copies) they are shared out among the copies.
        options: EngineOptions; its fields may also be given as keywords (`providers=["cpu"]`).
        spin: let onnxruntime's idle threads spin between calls (a tuning hint; other engines ignore it).
    """
    path = Path(path)
    opts = options or EngineOptions()
    if option_values:
        import dataclasses

        opts = dataclasses.replace(opts, **option_values)
    threads = threads or opts.threads
    if not path.is_file():
        raise InputError(f"model file not found: {path}")
    if path.suffix not in ENGINES:
        if path.suffix in CHECKPOINT_SUFFIXES:
            raise MissingBackendError(
                f"{path.name} is a PyTorch checkpoint: export it first (stylelite export {path.name} -o "
                f"{path.stem}.onnx), or run it through torch with the train extra: pip install 'stylelite[train]'"
            )
        known = ", ".join(sorted({*ENGINES, *CHECKPOINT_SUFFIXES}))
        raise InputError(f"{path.name}: unsupported model type {path.suffix!r} (supported: {known})")
    entry = ENGINES.get(path.suffix)
    given = opts.given()
    for key in given:
        if key not in entry.options:
            owner = next((e for s in ENGINES for e in [ENGINES.get(s)] if key in e.options), None)
            where = f" applies to {owner.name} only" if owner else " does not apply here"
            raise ConfigError(f"{OPTION_FLAGS.get(key, key)}{where}; {path.name} runs on {entry.name}")
    if opts.workers > 1:
        from stylelite.runtime.engines.worker_pool import EnginePool, threads_per_worker, usable_cores

        cores = usable_cores()
        if opts.workers > cores:
            raise ConfigError(
                f"--workers {opts.workers}: this machine runs {cores} threads at once, so more copies of "
                f"the model only wait for each other; use at most {cores}"
            )
        each = threads_per_worker(threads, opts.workers)
        return EnginePool(lambda: entry.factory(path, each, spin=spin, **given), opts.workers)
    return entry.factory(path, threads, spin=spin, **given)


__all__ = ["Engine", "EngineOptions", "ENGINES", "CHECKPOINT_SUFFIXES", "load_engine", "register_engine"]
