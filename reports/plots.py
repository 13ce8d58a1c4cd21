"""Report figures (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figure():
    return _plt().subplots(figsize=(7, 3.2), dpi=110)


def _save(fig, ax, path: Path, title: str) -> Path:
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    _plt().close(fig)
    return path


def plot_flicker(curves: dict[str, list[float]], path: Path) -> Path:
    """Per-frame warping error, one line per model plus the input floor."""
    fig, ax = _figure()
    for name, ys in curves.items():
        ax.plot(range(1, len(ys) + 1), ys, label=name, lw=1.6, ls="--" if name.startswith("input") else "-")
    ax.set_xlabel("frame pair t -> t+1")
    ax.set_ylabel("warping error")
    return _save(fig, ax, path, "Flicker per frame (lower is steadier)")


def plot_latency(samples: dict[str, dict], path: Path) -> Path:
    """Latency p50/p90/p99 per model (log scale: teacher and students differ by orders)."""
    fig, ax = _figure()
    names = list(samples)
    x = np.arange(len(names))
    for i, q in enumerate(("p50", "p90", "p99")):
        ax.bar(x + (i - 1) * 0.25, [samples[n][q] for n in names], 0.25, label=q)
    ax.set_xticks(x, names, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("ms per frame")
    return _save(fig, ax, path, "Latency (same frames, same process)")


def plot_training(log: list[dict], keys: list[str], path: Path, title: str) -> Path:
    """Training scalars from a run's log.jsonl (log scale)."""
    fig, ax = _figure()
    for k in keys:
        pts = [(r["step"], r[k]) for r in log if k in r and r[k] > 0]
        if pts:
            ax.plot(*zip(*pts), label=k, lw=1.2)
    ax.set_xlabel("step")
    ax.set_yscale("log")
    return _save(fig, ax, path, title)
