"""Flicker of stylized videos read back from disk (e.g. what `stylelite run --stabilize` wrote).

    python -m stylelite.benchmark.temporal_compare CLIP.mp4 OUT1.mp4 [OUT2.mp4 ...]

Prints the warping error (E_warp) and tOF of each video against the flows of the input CLIP, beside
the clip's own floor. `stylelite bench` measures the same on in-memory outputs of artifacts; this
covers outputs that only exist as files (runtime stabilization, other tools), codec included.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stylelite.benchmark.table import text_table
from stylelite.runtime.errors import InputError
from stylelite.runtime.flicker import temporal_flow_error, tof_floor, warping_error
from stylelite.runtime.flow import ClipFlows
from stylelite.runtime.video import read_video


def compare(clip: str | Path, videos: list[str | Path]) -> list[dict]:
    """One row per video (the input clip first): name, warping error, tOF."""
    frames = read_video(clip)[0]
    flows = ClipFlows(frames)
    rows = [
        {
            "video": f"{Path(clip).name} (input floor)",
            "flicker": warping_error(frames, flows).mean,
            "tof": tof_floor(frames, flows).mean,
        }
    ]
    for v in videos:
        outs = read_video(v)[0]
        if len(outs) != len(frames) or outs[0].shape != frames[0].shape:
            raise InputError(f"{Path(v).name}: {len(outs)} frames of {outs[0].shape}, the clip has {len(frames)}")
        rows.append(
            {
                "video": Path(v).name,
                "flicker": warping_error(outs, flows).mean,
                "tof": temporal_flow_error(outs, flows).mean,
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """The command line: print a table of the videos' flicker and tOF beside the clip's floor."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("clip", help="the input clip the videos were stylized from")
    p.add_argument("videos", nargs="+", help="stylized videos, same frames as the clip")
    args = p.parse_args(argv)
    rows = [(r["video"], f"{r['flicker']:.5f}", f"{r['tof']:.3f}") for r in compare(args.clip, args.videos)]
    print(text_table(("video", "flicker", "tOF px"), rows, align="<>>"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
