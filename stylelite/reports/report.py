"""Benchmark reports: report.md, report.html, report.json and plots, rendered from the records of a run.

The one writer for every source of records: `stylelite bench --report` (a run on this machine, with
its frames for side-by-side media), `stylelite bench --device ... --report` and `stylelite report`
(records read back from JSON lines with `BenchRecord.from_dict`). It measures nothing.
"""

from __future__ import annotations

from pathlib import Path

from stylelite.benchmark.records import BenchRecord, BenchRun
from stylelite.reports.html import markdown_to_html
from stylelite.reports.plots import plot_flicker, plot_latency, plot_pareto
from stylelite.reports.side_by_side import write_side_by_side
from stylelite.reports.tables import device_name, extra_latency_table, results_by_device
from stylelite.runtime.errors import InputError
from stylelite.runtime.files import write_json_atomic, write_text_atomic


def write_report(
    out_dir: str | Path,
    run: BenchRun,
    title: str = "stylelite benchmark report",
    columns: dict[str, str] | None = None,
    sections: dict[str, str] | None = None,
    summary: dict | None = None,
) -> Path:
    """Render `run` into out_dir/report.md + report.html + report.json + plots; return the report.md path.

    Args:
        out_dir: the report folder (made if missing).
        run: the records and, where the run kept them, the input frames and each artifact's outputs;
            `BenchRun(records)` for records alone.
        title: the report's heading.
        columns: side-by-side panel label -> artifact path whose outputs `run` holds (the input is always
            the first panel); none: no side-by-side media.
        sections: extra Markdown sections (heading -> body) placed after the results.
        summary: key figures listed under the title and stored in report.json.

    Raises:
        InputError: `run` holds no records.
    """
    recs = run.records
    if not recs:
        raise InputError("no benchmark records to report (are the JSON-lines files empty?)")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    labels = plot_labels(recs)
    ok = [(label, r) for label, r in zip(labels, recs) if r.status.startswith("ok")]
    floor = run.flicker_floor
    if floor is None:  # records alone: the clip's floor as the records hold it
        floor = next((r.flicker_floor for _, r in ok if r.flicker_floor is not None), None)
    media_md, media = _side_by_side(run, columns or {}, out)
    md = [f"# {title}", ""]
    md += [f"- **{k}**: {v}" for k, v in (summary or {}).items()] + ([""] if summary else [])
    md += ["## Results", "", f"{len(recs)} record(s), {len(ok)} measured.", "", *results_by_device(recs)]
    md += _clip_note([r for _, r in ok], floor)
    extra = extra_latency_table(recs, labels)
    md += [extra, ""] if extra else []
    md += media_md + _flicker(ok, run.floor_per_frame, floor, out) + _latency(ok, out) + _pareto(ok, out)
    for heading, body in (sections or {}).items():
        md += [f"## {heading}", "", body.strip(), ""]
    text = "\n".join(md)
    write_text_atomic(out / "report.md", text)
    write_text_atomic(out / "report.html", markdown_to_html(text, title))
    write_json_atomic(
        out / "report.json",
        {
            "title": title,
            "summary": summary or {},
            "flicker_floor": floor,
            "flicker_floor_per_frame": run.floor_per_frame,
            "records": [r.to_dict() for r in recs],
            "media": {k: v.name for k, v in media.items()},
        },
    )
    return out / "report.md"


def plot_labels(records: list[BenchRecord]) -> list[str]:
    """A name per record for plots and tables: the model name (the artifact's stem where two share a model)
    when every record is a different artifact on one device, else "stem [engine@device]"."""
    if len({device_name(r) for r in records}) == 1 and len({r.artifact for r in records}) == len(records):
        models = [r.model for r in records]
        return [r.model if models.count(r.model) == 1 else Path(r.artifact).stem for r in records]
    return [f"{Path(r.artifact).stem} [{r.engine}@{device_name(r)}]" for r in records]


def _clip_note(ok: list[BenchRecord], floor: float | None) -> list[str]:
    """What the clip was, how flicker, tOF and model memory are measured, and the clip's own floors."""
    clip = next((r for r in ok if r.width and r.frames), None)
    if clip is None or floor is None:
        return []
    note = (
        f"Clip: {clip.width}x{clip.height}, {clip.frames} frames. Flicker is the warping error (Lai et al. "
        "2018) with the input clip's DIS flow and a forward-backward occlusion mask; the input clip itself "
        f"scores **{floor:.5f}** (the floor of a perfectly stable filter)."
    )
    if clip.tof_floor is not None:
        note += (
            " tOF is the mean L1 distance in pixels between the optical flow of the output pair and of the input "
            f"pair (Chu et al. 2020); a per-pixel colour map of the clip scores {clip.tof_floor:.3f}."
        )
    if clip.runtime_memory_mb is not None:
        note += (
            " Model memory is the rise of peak resident memory when a fresh process loads the model and stylizes "
            f"clip-sized frames, over that process's own {clip.runtime_memory_mb:.0f} MB (Python + runtime)."
        )
    return [note, ""]


def _side_by_side(run: BenchRun, columns: dict[str, str], out: Path) -> tuple[list[str], dict[str, Path]]:
    """The input and each column's outputs side by side (GIF, MP4, PNG) and the Markdown that shows them."""
    if not columns or not run.input_frames:
        return [], {}
    panels = {"input": run.input_frames}
    for label, artifact in columns.items():
        panels[label] = run.outputs[str(artifact)]
    media = write_side_by_side(panels, out, fps=min(run.fps_source or 12.0, 15.0))
    gif, mp4, png = (media[k].name for k in ("gif", "mp4", "png"))
    md = ["## Side by side", "", f"![side by side]({gif})", "", f"Video: [{mp4}]({mp4}); still: [{png}]({png})", ""]
    return md, media


def _flicker(
    ok: list[tuple[str, BenchRecord]], floor_per_frame: list[float], floor: float | None, out: Path
) -> list[str]:
    """Per-frame flicker of each measured record beside the input clip's floor."""
    curves = {label: r.flicker_per_frame for label, r in ok if r.flicker_per_frame}
    if not curves:
        return []
    if floor_per_frame:
        curves = {"input (floor)": floor_per_frame} | curves
    elif floor is not None:
        curves = {"input (floor, mean)": [floor] * max(len(v) for v in curves.values())} | curves
    plot_flicker(curves, out / "flicker.png")
    return ["## Flicker per frame", "", "![flicker](flicker.png)", ""]


def _latency(ok: list[tuple[str, BenchRecord]], out: Path) -> list[str]:
    """A histogram of per-frame latencies, with percentile lines (or bars) for records that keep aggregates only."""
    timed = [(label, r) for label, r in ok if r.latency_samples_ms or "p50" in r.latency_ms]
    if not timed:
        return []
    samples = {label: r.latency_samples_ms for label, r in timed if r.latency_samples_ms}
    plot_latency({label: r.latency_ms for label, r in timed}, out / "latency.png", samples)
    if not samples:
        note = "Percentiles only: these records keep no per-frame latencies (older records, benchmark_model, trtexec)."
    else:
        note = "Histogram of per-frame latencies (the last 2,000 frames per record at most)."
        rest = [label for label, _ in timed if label not in samples]
        if rest:
            note += f" Percentiles only (their tools print aggregates): {', '.join(rest)}; drawn as p50/p90 lines."
    return ["## Latency", "", "![latency](latency.png)", "", note, ""]


def _pareto(ok: list[tuple[str, BenchRecord]], out: Path) -> list[str]:
    """File size against fidelity (or flicker), marker area ~ fps, for two or more measured records."""
    points = [
        {"label": label, "size_mb": r.size_mb, "fidelity": r.fidelity_psnr_db, "fps": r.fps, "flicker": r.flicker}
        for label, r in ok
    ]
    if len(points) < 2:
        return []
    plot_pareto(points, out / "pareto.png")
    return ["## Size - fidelity - fps", "", "![pareto](pareto.png)", ""]
