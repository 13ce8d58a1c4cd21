"""Benchmark reports: report.json (records), report.md (tables, plots, side-by-side frames)."""

from __future__ import annotations

from pathlib import Path

from stylelite.device_tests.bench import BenchRecord, BenchRun
from stylelite.reports.html import markdown_to_html
from stylelite.reports.plots import plot_flicker, plot_latency
from stylelite.reports.side_by_side import write_side_by_side
from stylelite.runtime.files import write_json_atomic, write_text_atomic


def markdown_table(records: list[BenchRecord]) -> str:
    head = (
        "model",
        "artifact",
        "precision",
        "size MB",
        "params",
        "GMAC@256",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "FPS",
        "model memory MB",
        "flicker",
        "tOF px",
        "PSNR to ref dB",
        "SSIM to ref",
    )
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in records:
        is_ref = r.artifact == r.reference
        cells = [
            r.model,
            f"`{Path(r.artifact).name}`",
            r.precision,
            f"{r.size_mb:.2f}",
            f"{r.params:,}" if r.params else "-",
            f"{r.gmacs_256:.2f}" if r.gmacs_256 else "-",
            f"{r.latency_ms['p50']:.1f}",
            f"{r.latency_ms['p90']:.1f}",
            f"{r.latency_ms['p99']:.1f}",
            f"{r.fps:.1f}",
            f"{r.model_memory_mb:.0f}",
            f"{r.flicker:.5f}",
            "-" if r.tof is None else f"{r.tof:.3f}",
            "reference" if is_ref else ("-" if r.fidelity_psnr_db is None else f"{r.fidelity_psnr_db:.2f}"),
            "reference" if is_ref else ("-" if r.fidelity_ssim is None else f"{r.fidelity_ssim:.3f}"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(
    out_dir: str | Path,
    run: BenchRun,
    title: str,
    columns: dict[str, str] | None = None,
    sections: dict[str, str] | None = None,
    summary: dict | None = None,
) -> Path:
    """Render `run` into out_dir/report.md + report.json + plots; return the report.md path.

    columns: side-by-side panel label -> artifact path (input is always the first panel).
    sections: extra Markdown sections (heading -> body) placed after the results.
    summary: extra key figures stored in report.json.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    recs = run.records
    names = {
        r.artifact: r.model if list(x.model for x in recs).count(r.model) == 1 else Path(r.artifact).stem for r in recs
    }
    plot_flicker(
        {"input (floor)": run.floor_per_frame, **{names[r.artifact]: r.flicker_per_frame for r in recs}},
        out / "flicker.png",
    )
    plot_latency(
        {names[r.artifact]: r.latency_ms for r in recs},
        out / "latency.png",
        {names[r.artifact]: r.latency_samples_ms for r in recs},
    )
    panels = {"input": run.input_frames}
    for label, artifact in (columns or {}).items():
        panels[label] = run.outputs[str(artifact)]
    media = write_side_by_side(panels, out, fps=min(run.fps_source or 12.0, 15.0)) if len(panels) > 1 else {}

    md = [f"# {title}", ""]
    if summary:
        md += [f"- **{k}**: {v}" for k, v in summary.items()] + [""]
    md += [
        "## Results (measured side by side in one run)",
        "",
        markdown_table(recs),
        "",
        f"Clip: {recs[0].width}x{recs[0].height}, {recs[0].frames} frames. Flicker is the warping error "
        f"(Lai et al. 2018) with the input clip's DIS flow and a forward-backward occlusion mask; the input "
        f"clip itself scores **{run.flicker_floor:.5f}** (the floor of a perfectly stable filter). tOF is the mean "
        "L1 distance in pixels between the optical flow of the output pair and of the input pair (Chu et al. "
        f"2020); a per-pixel colour map of the clip scores {recs[0].tof_floor or 0:.3f}. Model memory "
        "is the rise of peak resident memory when a fresh process loads the model and stylizes clip-sized "
        f"frames, over that process's own {recs[0].runtime_memory_mb or 0:.0f} MB (Python + runtime).",
        "",
    ]
    extra_rows = [(names[r.artifact], size, lat) for r in recs for size, lat in r.extra_latency.items()]
    if extra_rows:
        md += ["| model | resolution | p50 ms | p90 ms | FPS |", "|---|---|---|---|---|"]
        md += [f"| {n} | {s} | {lat['p50']:.1f} | {lat['p90']:.1f} | {lat['fps']:.1f} |" for n, s, lat in extra_rows]
        md.append("")
    if media:
        md += [
            "## Side by side",
            "",
            f"![side by side]({media['gif'].name})",
            "",
            f"Video: [{media['mp4'].name}]({media['mp4'].name}); still: [{media['png'].name}]({media['png'].name})",
            "",
        ]
    md += ["## Flicker per frame", "", "![flicker](flicker.png)", "", "## Latency", "", "![latency](latency.png)", ""]
    for heading, body in (sections or {}).items():
        md += [f"## {heading}", "", body.strip(), ""]
    dev = recs[0].device
    md += ["## Machine", "", ", ".join(f"{k}: {v}" for k, v in dev.items()), ""]
    write_text_atomic(out / "report.md", "\n".join(md))
    write_text_atomic(out / "report.html", markdown_to_html("\n".join(md), title))
    write_json_atomic(
        out / "report.json",
        {
            "title": title,
            "summary": summary or {},
            "flicker_floor": run.flicker_floor,
            "flicker_floor_per_frame": run.floor_per_frame,
            "records": [r.to_dict() for r in recs],
            "media": {k: v.name for k, v in media.items()},
        },
    )
    return out / "report.md"
