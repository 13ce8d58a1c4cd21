"""The Pareto front of measured students and the pick for a latency budget (plain data, no measuring)."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class SearchPoint:
    """One candidate as measured: fidelity to the teacher, latency on the target, flicker, size."""

    student: str
    artifact: str
    gmacs_256: float | None
    latency_ms: float | None  # p50 on the target at the search size
    fidelity_psnr_db: float | None
    fidelity_ssim: float | None
    flicker: float | None
    ceiling_ratio: float | None = None
    status: str = "ok"
    on_front: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def measured(self) -> bool:
        return self.status.startswith("ok") and None not in (self.latency_ms, self.fidelity_psnr_db, self.flicker)


def dominates(a: SearchPoint, b: SearchPoint) -> bool:
    """a is no worse than b in latency, fidelity and flicker, and better in at least one."""
    no_worse = a.latency_ms <= b.latency_ms and a.fidelity_psnr_db >= b.fidelity_psnr_db and a.flicker <= b.flicker
    better = a.latency_ms < b.latency_ms or a.fidelity_psnr_db > b.fidelity_psnr_db or a.flicker < b.flicker
    return no_worse and better


def mark_front(points: list[SearchPoint]) -> list[SearchPoint]:
    """Set `on_front` on the measured points no other measured point dominates; return the front by latency."""
    measured = [p for p in points if p.measured]
    for p in points:
        p.on_front = p.measured and not any(dominates(q, p) for q in measured if q is not p)
    return sorted((p for p in points if p.on_front), key=lambda p: p.latency_ms)


def pick(points: list[SearchPoint], budget_ms: float | None) -> SearchPoint | None:
    """The most faithful front point within `budget_ms` (the fastest point when none fits; None if nothing
    was measured). Ties go to the lower latency."""
    front = [p for p in points if p.on_front]
    if not front:
        return None
    fits = [p for p in front if budget_ms is None or p.latency_ms <= budget_ms]
    if not fits:
        return min(front, key=lambda p: p.latency_ms)
    return max(fits, key=lambda p: (p.fidelity_psnr_db, -p.latency_ms))
