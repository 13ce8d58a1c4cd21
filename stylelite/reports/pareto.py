"""The student search's figure and table: fidelity against latency, flicker as colour, the front joined."""

from __future__ import annotations

from pathlib import Path

from stylelite.benchmark.table import text_table


def plot_pareto(points: list[dict], path: Path, budget_ms: float | None = None, title: str = "") -> Path:
    """Measured candidates (dicts of SearchPoint fields): latency (x) against PSNR to the teacher (y), colour
    = flicker; the front is joined; the budget is a vertical line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pts = [p for p in points if p.get("latency_ms") and p.get("fidelity_psnr_db") is not None]
    fig, ax = plt.subplots(figsize=(7, 4), dpi=110)
    if pts:
        sc = ax.scatter(
            [p["latency_ms"] for p in pts],
            [p["fidelity_psnr_db"] for p in pts],
            c=[p.get("flicker") or 0.0 for p in pts],
            cmap="viridis",
            s=[90 if p.get("on_front") else 40 for p in pts],
            edgecolors=["black" if p.get("on_front") else "none" for p in pts],
        )
        fig.colorbar(sc, ax=ax, label="flicker (warping error)")
        front = sorted((p for p in pts if p.get("on_front")), key=lambda p: p["latency_ms"])
        ax.plot([p["latency_ms"] for p in front], [p["fidelity_psnr_db"] for p in front], "k--", lw=1, label="front")
        for p in pts:
            ax.annotate(p["student"], (p["latency_ms"], p["fidelity_psnr_db"]), fontsize=7, xytext=(4, 3),
                        textcoords="offset points")  # fmt: skip
    if budget_ms:
        ax.axvline(budget_ms, color="tab:red", lw=1, label=f"budget {budget_ms:g} ms")
    ax.set_xlabel("latency p50 on the target (ms)")
    ax.set_ylabel("PSNR to the teacher (dB)")
    ax.set_title(title or "Student search: fidelity against latency")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def pareto_table(points: list[dict], markdown: bool = False) -> str:
    """One row per candidate, fastest first: student, GMAC@256, p50 ms, % of the dense-conv ceiling, PSNR,
    SSIM, flicker, front, status."""
    rows = [
        [
            p["student"],
            _num(p.get("gmacs_256"), ".3f"),
            _num(p.get("latency_ms"), ".1f"),
            _num(None if p.get("ceiling_ratio") is None else 100 * p["ceiling_ratio"], ".0f"),
            _num(p.get("fidelity_psnr_db"), ".2f"),
            _num(p.get("fidelity_ssim"), ".3f"),
            _num(p.get("flicker"), ".5f"),
            "yes" if p.get("on_front") else "",
            p.get("status", ""),
        ]
        for p in sorted(points, key=lambda p: p.get("latency_ms") or float("inf"))
    ]
    head = ["student", "GMAC@256", "p50 ms", "% ceil", "PSNR dB", "SSIM", "flicker", "front", "status"]
    return text_table(head, rows, align="<>>>>>><<", markdown=markdown)


def _num(v, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)
