"""`stylelite report`: report.md + report.html + plots rebuilt from benchmark JSON records.

Tables per device (format x precision x engine rows), a latency histogram per artifact x device
(percentile bars or lines for records that keep no per-frame samples: older JSON lines, adb,
trtexec), a size-fidelity-fps Pareto plot across students, flicker per frame and, given the
clip, side-by-side frames.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from stylelite.reports.html import markdown_to_html
from stylelite.reports.plots import plot_flicker, plot_latency, plot_pareto
from stylelite.runtime.errors import InputError
from stylelite.runtime.files import write_json_atomic, write_text_atomic


def _num(v, fmt: str) -> str:
    return "-" if v is None else format(v, fmt)


def _label(r: dict) -> str:
    dev = (r.get("device") or {}).get("device", "local")
    return f"{Path(str(r.get('artifact', '?'))).stem} [{r.get('engine', '-')}@{dev}]"


def device_tables(records: list[dict]) -> str:
    by_dev: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        by_dev[(r.get("device") or {}).get("device", "local")].append(r)
    head = ("artifact", "format", "precision", "engine", "size MB", "p50 ms", "p90 ms", "p99 ms", "FPS",
            "memory MB", "flicker", "PSNR to ref dB", "parity dB", "status")  # fmt: skip
    md = []
    for dev, recs in by_dev.items():
        facts = recs[-1].get("device") or {}
        md += [f"### {dev}", "", ", ".join(f"{k}: {v}" for k, v in facts.items() if k != "device"), ""]
        md += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in sorted(recs, key=lambda r: (r.get("format", ""), r.get("precision", ""), r.get("engine", ""))):
            lat = r.get("latency_ms") or {}
            cells = [
                f"`{Path(str(r.get('artifact', '?'))).name}`",
                r.get("format", "-"),
                r.get("precision", "-"),
                r.get("engine", "-"),
                _num(r.get("size_mb"), ".2f"),
                _num(lat.get("p50"), ".1f"),
                _num(lat.get("p90"), ".1f"),
                _num(lat.get("p99"), ".1f"),
                _num(r.get("fps") or None, ".1f"),
                _num(r.get("model_memory_mb") or None, ".0f"),
                _num(r.get("flicker"), ".5f"),
                "reference"
                if r.get("reference") and r.get("reference") == r.get("artifact")
                else _num(r.get("fidelity_psnr_db"), ".2f"),
                _num(r.get("parity_psnr_db"), ".2f"),
                str(r.get("status", "ok")).replace("|", "/")[:120],
            ]
            md.append("| " + " | ".join(cells) + " |")
        md.append("")
    return "\n".join(md)


def _latency_note(timed: list[dict], samples: dict[str, list[float]]) -> str:
    if not samples:
        return "Percentiles only: these records keep no per-frame latencies (older records, benchmark_model, trtexec)."
    rest = [_label(r) for r in timed if _label(r) not in samples]
    note = "Histogram of per-frame latencies (the last 2,000 frames per record at most)."
    if rest:
        note += f" Percentiles only (their tools print aggregates): {', '.join(rest)}; drawn as p50/p90 lines."
    return note


def write_records_report(
    out_dir: str | Path, records: list[dict], title: str = "stylelite benchmark report", clip: str | Path | None = None
) -> Path:
    """Render records (dicts as `stylelite bench --out` writes them) into out_dir; return report.md."""
    if not records:
        raise InputError("no benchmark records to report (are the JSON-lines files empty?)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ok = [r for r in records if str(r.get("status", "ok")).startswith("ok")]
    md = [f"# {title}", "", f"{len(records)} record(s), {len(ok)} measured.", "", "## Results", ""]
    md += [device_tables(records), ""]
    timed = [r for r in ok if r.get("latency_samples_ms") or "p50" in (r.get("latency_ms") or {})]
    if timed:
        samples = {_label(r): r["latency_samples_ms"] for r in timed if r.get("latency_samples_ms")}
        plot_latency({_label(r): r["latency_ms"] for r in timed}, out / "latency.png", samples)
        md += ["## Latency", "", "![latency](latency.png)", "", _latency_note(timed, samples), ""]
    points = [
        {"label": _label(r), "size_mb": r.get("size_mb"), "fidelity": r.get("fidelity_psnr_db"), "fps": r.get("fps"),
         "flicker": r.get("flicker")}
        for r in ok
    ]  # fmt: skip
    if points:
        plot_pareto(points, out / "pareto.png")
        md += ["## Size - fidelity - fps", "", "![pareto](pareto.png)", ""]
    curves = {_label(r): r["flicker_per_frame"] for r in ok if r.get("flicker_per_frame")}
    if curves:
        floor = next((r.get("flicker_floor") for r in ok if r.get("flicker_floor") is not None), None)
        n = max(len(v) for v in curves.values())
        plot_flicker(({"input (floor, mean)": [floor] * n} if floor is not None else {}) | curves, out / "flicker.png")
        md += ["## Flicker per frame", "", "![flicker](flicker.png)", ""]
    if clip:
        md += _side_by_side(ok, clip, out)
    write_text_atomic(out / "report.md", "\n".join(md))
    write_text_atomic(out / "report.html", markdown_to_html("\n".join(md), title))
    write_json_atomic(out / "report.json", {"title": title, "records": records})
    return out / "report.md"


def _side_by_side(records: list[dict], clip: str | Path, out: Path) -> list[str]:
    """Stylize the clip on this machine with each distinct artifact that still exists."""
    from stylelite.reports.side_by_side import write_side_by_side
    from stylelite.runtime.engines import load_engine
    from stylelite.runtime.video import read_video

    frames, fps = read_video(clip, 24)
    panels = {"input": frames}
    for art in dict.fromkeys(str(r.get("artifact")) for r in records):
        if Path(art).is_file() and Path(art).suffix == ".onnx":
            engine = load_engine(art)
            panels[Path(art).stem] = [engine.stylize(f) for f in frames]
    if len(panels) < 2:
        return []
    media = write_side_by_side(panels, out, fps=min(fps or 12.0, 15.0))
    return ["## Side by side", "", f"![side by side]({media['gif'].name})", ""]
