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


def plot_latency(latency: dict[str, dict], path: Path, samples: dict[str, list[float]] | None = None) -> Path:
    """Latency per model: a histogram of per-frame samples where records keep them, else percentile bars.

    latency: label -> percentiles in ms (p50/p90/p99); samples: label -> per-frame ms. With any
    samples the figure is a histogram (shared bins, log x when the spread is wide) and the labels
    without samples (e.g. benchmark_model or trtexec, which print aggregates only) appear as p50
    (dashed) / p90 (dotted) lines on the same axis; without samples it is p50/p90/p99 bars.
    """
    samples = {k: v for k, v in (samples or {}).items() if v}
    if samples:
        return _latency_histogram(samples, {k: v for k, v in latency.items() if k not in samples}, path)
    fig, ax = _figure()
    names = [n for n in latency if latency[n].get("p50")]
    x = np.arange(len(names))
    for i, q in enumerate(("p50", "p90", "p99")):  # a tool that does not print a percentile leaves a gap
        ax.bar(x + (i - 1) * 0.25, [latency[n].get(q, np.nan) for n in names], 0.25, label=q)
    ax.set_xticks(x, names, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("ms per frame")
    return _save(fig, ax, path, "Latency percentiles (records without per-frame samples)")


def _latency_histogram(samples: dict[str, list[float]], aggregates: dict[str, dict], path: Path) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=110)
    every = np.concatenate([np.asarray(v, dtype=float) for v in samples.values()])
    lo, hi = max(float(every.min()), 1e-3), max(float(every.max()), 1e-3)
    marks = [v for lat in aggregates.values() for v in (lat.get("p50"), lat.get("p90")) if v]
    lo, hi = min([lo, *marks]), max([hi, *marks])
    if hi <= lo:
        lo, hi = lo * 0.95, hi * 1.05
    log_x = hi / lo > 8.0  # e.g. a teacher at 600 ms beside students at 20 ms
    n_bins = int(np.clip(30 * np.log10(hi / lo), 20, 120)) if log_x else int(np.clip(np.sqrt(every.size), 10, 60))
    bins = np.geomspace(lo, hi, n_bins + 1) if log_x else np.linspace(lo, hi, n_bins + 1)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, (name, vals) in enumerate(samples.items()):
        v = np.asarray(vals, dtype=float)
        c = colors[i % len(colors)]
        label = f"{name}: p50 {np.percentile(v, 50):.1f} ms, n={v.size}"
        ax.hist(v, bins=bins, color=c, alpha=0.35, histtype="stepfilled")
        ax.hist(v, bins=bins, color=c, histtype="step", lw=1.2, label=label)
    for j, (name, lat) in enumerate(aggregates.items()):
        c = colors[(len(samples) + j) % len(colors)]
        if lat.get("p50"):
            ax.axvline(
                lat["p50"], color=c, ls="--", lw=1.4, label=f"{name}: p50 {lat['p50']:.1f} ms (percentiles only)"
            )
        if lat.get("p90"):
            ax.axvline(lat["p90"], color=c, ls=":", lw=1.4)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel("ms per frame" + (" (log)" if log_x else ""))
    ax.set_ylabel("frames")
    title = "Latency per frame"
    if aggregates:
        title += " (dashed p50, dotted p90: percentiles only)"
    return _save(fig, ax, path, title)


def plot_training(log: list[dict], keys: list[str], path: Path, title: str) -> Path:
    """Training scalars from a run's log.jsonl (log scale)."""
    fig, ax = _figure()
    for k in keys:
        # a diverged step is logged as null
        pts = [(r["step"], r[k]) for r in log if isinstance(r.get(k), (int, float)) and r[k] > 0]
        if pts:
            ax.plot(*zip(*pts), label=k, lw=1.2)
    ax.set_xlabel("step")
    ax.set_yscale("log")
    return _save(fig, ax, path, title)


def plot_pareto(points: list[dict], path: Path) -> Path:
    """Size vs fidelity across students, marker area ~ fps; the Pareto front (smaller, truer) joined.

    points: {"label", "size_mb", "fidelity" (PSNR dB, or None), "fps", "flicker"}; without
    fidelity the y axis is flicker (lower is better) instead.
    """
    fig, ax = _figure()
    use_fid = any(p.get("fidelity") is not None for p in points)
    key = "fidelity" if use_fid else "flicker"
    pts = [p for p in points if p.get(key) is not None and p.get("size_mb")]
    fps_max = max([p.get("fps") or 0 for p in pts] + [1e-9])
    for p in pts:
        area = 30 + 300 * (p.get("fps") or 0) / fps_max
        ax.scatter(p["size_mb"], p[key], s=area, alpha=0.6)
        ax.annotate(f"{p['label']} ({(p.get('fps') or 0):.0f} fps)", (p["size_mb"], p[key]), fontsize=7)
    better = (lambda a, b: a >= b) if use_fid else (lambda a, b: a <= b)
    front, best = [], None
    for p in sorted(pts, key=lambda p: p["size_mb"]):
        if best is None or (better(p[key], best) and p[key] != best):
            front.append(p)
            best = p[key]
    if len(front) > 1:
        ax.plot([p["size_mb"] for p in front], [p[key] for p in front], "k--", lw=1, label="Pareto front")
    ax.set_xscale("log")
    ax.set_xlabel("file size MB (log)")
    ax.set_ylabel("PSNR to teacher dB" if use_fid else "flicker (lower is steadier)")
    if not front or len(front) < 2:
        ax.plot([], [], label="marker area ~ fps")
    return _save(fig, ax, path, "Size - fidelity - fps")
