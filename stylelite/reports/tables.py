"""The report's Markdown tables, built from records: results per device, latency at extra resolutions."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from stylelite.benchmark.records import BenchRecord
from stylelite.benchmark.table import text_table

# (heading, alignment, cell of a record); a column no record has a value for is left out
_RESULT_COLUMNS = (
    ("model", "<", lambda r: r.model),
    ("artifact", "<", lambda r: f"`{Path(r.artifact).name}`"),
    ("precision", "<", lambda r: r.precision),
    ("engine", "<", lambda r: r.engine),
    ("size MB", ">", lambda r: _num(r.size_mb, ".2f")),
    ("params", ">", lambda r: _num(r.params or None, ",")),
    ("GMAC@256", ">", lambda r: _num(r.gmacs_256 or None, ".2f")),
    ("p50 ms", ">", lambda r: _timed(r, r.latency_ms.get("p50"))),
    ("p90 ms", ">", lambda r: _timed(r, r.latency_ms.get("p90"))),
    ("p99 ms", ">", lambda r: _timed(r, r.latency_ms.get("p99"))),
    ("FPS", ">", lambda r: _timed(r, r.fps or None)),
    ("model memory MB", ">", lambda r: _num(r.model_memory_mb or None, ".0f")),
    ("flicker", ">", lambda r: _num(r.flicker, ".5f")),
    ("tOF px", ">", lambda r: _num(r.tof, ".3f")),
    ("PSNR to ref dB", ">", lambda r: _to_reference(r, r.fidelity_psnr_db, ".2f")),
    ("SSIM to ref", ">", lambda r: _to_reference(r, r.fidelity_ssim, ".3f")),
    ("parity dB", ">", lambda r: _num(r.parity_psnr_db, ".2f")),
    ("status", "<", lambda r: r.status[:120]),
)


def _num(v: float | None, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def _timed(r: BenchRecord, v: float | None) -> str:
    """A latency or fps cell; an emulated board's (qemu) is marked: the emulator's speed, not the board's."""
    return _num(v, ".1f") + (" (emulated)" if r.emulated and v is not None else "")


def _to_reference(r: BenchRecord, v: float | None, fmt: str) -> str:
    return "reference" if r.reference and r.artifact == r.reference else _num(v, fmt)


def device_name(r: BenchRecord) -> str:
    """The device a record was measured on ("local" for this machine and for records that do not say)."""
    return str(r.device.get("device", "local"))


def results_table(records: list[BenchRecord]) -> str:
    """One Markdown row per record; columns without any value (and status, when every record is ok) left out."""
    cells = [[cell(r) for _, _, cell in _RESULT_COLUMNS] for r in records]
    keep = [
        i
        for i, (head, _, _) in enumerate(_RESULT_COLUMNS)
        if any(row[i] != ("ok" if head == "status" else "-") for row in cells)
    ]
    head = [_RESULT_COLUMNS[i][0] for i in keep]
    align = "".join(_RESULT_COLUMNS[i][1] for i in keep)
    return text_table(head, ([row[i] for i in keep] for row in cells), align=align, markdown=True)


def results_by_device(records: list[BenchRecord]) -> list[str]:
    """Markdown lines: per device, its heading, its facts and its results table (format x precision x engine rows)."""
    by_dev: dict[str, list[BenchRecord]] = defaultdict(list)
    for r in records:
        by_dev[device_name(r)].append(r)
    md = []
    for dev, recs in by_dev.items():
        facts = ", ".join(f"{k}: {v}" for k, v in recs[-1].device.items() if k != "device")
        recs = sorted(recs, key=lambda r: (r.format, r.precision, r.engine))
        md += [f"### {dev}", "", facts, "", results_table(recs), ""]
    return md


def extra_latency_table(records: list[BenchRecord], labels: list[str]) -> str | None:
    """Latency at the extra resolutions (`bench --size`), one row per (record, size); None when none was timed."""
    rows = [
        (label, size, f"{lat['p50']:.1f}", f"{lat['p90']:.1f}", f"{lat['fps']:.1f}")
        for r, label in zip(records, labels)
        for size, lat in r.extra_latency.items()
    ]
    if not rows:
        return None
    return text_table(("model", "resolution", "p50 ms", "p90 ms", "FPS"), rows, align="<<>>>", markdown=True)
