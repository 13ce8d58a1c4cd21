"""Engine options as one frozen record: what a user asked of the engine, each field None when not asked."""

from __future__ import annotations

from dataclasses import dataclass, fields

from stylelite.runtime.errors import ConfigError

# The command-line flag of each option, for error messages.
OPTION_FLAGS = {
    "providers": "--providers",
    "graph_optimization": "--graph-opt",
    "xnnpack": "--no-xnnpack",
    "arch": "--arch",
    "workers": "--workers",
}


@dataclass(frozen=True)
class EngineOptions:
    """Options for `load_engine`; an option left None takes the engine's default.

    Attributes:
        threads: intra-op threads (0: the engine's default).
        providers: onnxruntime execution providers in order, e.g. ("cuda", "cpu").
        graph_optimization: onnxruntime graph optimization level (disable | basic | extended | all).
        xnnpack: LiteRT's XNNPACK delegate on (True) or off (False).
        arch: the architecture of an upstream `.pth/.pt` checkpoint (the torch engine).
        workers: copies of the model that run frames side by side (stylelite.runtime.engines.worker_pool), each
            with `threads` / `workers` threads; 1: one copy.
    """

    threads: int = 0
    providers: tuple[str, ...] | None = None
    graph_optimization: str | None = None
    xnnpack: bool | None = None
    arch: str | None = None
    workers: int = 1

    def __post_init__(self) -> None:
        if self.threads < 0:
            raise ConfigError(f"threads={self.threads}: use 0 (the engine's default) or a positive count")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise ConfigError(f"workers={self.workers!r}: use a whole number of model copies, 1 or more")
        if isinstance(self.providers, str):
            object.__setattr__(self, "providers", tuple(p.strip() for p in self.providers.split(",") if p.strip()))
        elif self.providers is not None:
            object.__setattr__(self, "providers", tuple(self.providers))

    def given(self) -> dict:
        """The options that were set (threads and workers aside), as keyword arguments for an engine's factory."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in ("threads", "workers") and getattr(self, f.name) is not None
        }
