"""What a plan of a documented command is (tests/cli/readme_plans.py), and the command texts and tiny sizes that
several pages' plans share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SHARED, TEMPORAL = "shared", "temporal"  # working folders: most blocks share one; the temporal recipe
# says "run in an empty folder", so it gets its own (and its run folders are numbered as printed)


class KnownBug(AssertionError):
    """The failure an xfail entry expects (any other failure fails the test)."""


@dataclass(frozen=True)
class Plan:
    why_not: str = ""  # parse only: why the command cannot run here
    subs: tuple[tuple[str, str | Callable], ...] = ()  # README text -> tiny/stand-in text; each must occur
    add: str = ""  # options appended (tiny sizes)
    variants: tuple[tuple[tuple[str, str], ...], ...] = ((),)  # one run per set of placeholder fills
    needs: tuple[str, ...] = ()  # README commands that must have run first (in this session)
    folder: str = SHARED
    creates: tuple[str, ...] = ()  # files the command must leave behind
    slow: str = ""  # runs only with -m slow, and why
    bug: str = ""  # a bug in code not owned by this test: xfail(strict=True) with this reason
    bug_match: str = ""  # ... and the failure's output must match this


def run(add: str = "", subs: dict | None = None, **kw) -> Plan:
    return Plan(add=add, subs=tuple((subs or {}).items()), **kw)


def parse_only(why: str) -> Plan:
    return Plan(why_not=why)


TINY_CROPS = "--batch 1 --crop 32 --cache-size 2"  # tiny crops keep the 49.6-GMAC teacher cheap
TINY_DISTILL = "--steps 2 --label-crops 128 " + TINY_CROPS  # a recipe run (no --student) fills a store
TINY_TRAIN = "--steps 1 --batch 1 --crop 32"
RUN_1 = "runs/00001-mobilegen_s_025-cyclegan_r9_bn_cartoon"  # what DISTILL_1 makes in an empty folder
DISTILL_1 = "stylelite distill --teacher cyclegan_r9_bn.cartoon --student mobilegen_s_025 --steps 600"
TRAIN_CYCLEGAN = "stylelite train-teacher --family cyclegan --data-a photos/ --data-b paintings/ --nproc-per-node 2"
EXPORT_TFLITE = (
    "stylelite export runs/00001-…/student.safetensors --format tflite --precision int8 --static-size 256 "
    "--calib reports/demo/clip.mp4 --tflite-io uint8 -o student_int8.tflite"
)
BENCH_JETSON = "stylelite bench student.onnx --clip clip.mp4 --device jetson --out results.jsonl"
EXPORT_SHIPPED = "stylelite export shufflegen_s_050.cartoon -o shipped.onnx"
EXPORT_FAST = "stylelite export shufflegen_f_050.cartoon -o fast.onnx"
EXPORT_FASTEST = "stylelite export shufflegen_t_050.cartoon -o fastest.onnx"
EXPORT_FASTEST_U8 = (
    "stylelite export shufflegen_t_050.cartoon_int8 --int8 --calib clip.mp4 --onnx-io uint8 -o fastest_u8.onnx"
)
TEMPORAL_CLIPS = (
    'python -c "from stylelite.distill.photos import load_photo; from stylelite.runtime.synthetic import '
    "make_camera_clip; from stylelite.runtime.video import write_video; [write_video(f'clip_{n}.mp4', "
    "make_camera_clip(load_photo(p), 40, (320, 240)), fps=12.0) for n, p in (('chelsea', 'chelsea'), "
    "('ihc', 'immunohistochemistry'))]\""
)
MEASUREMENTS = str(Path(__file__).resolve().parents[2] / "docs" / "measurements") + "/"  # scripts run from the repo
WEIGHTS = str(Path(__file__).resolve().parents[2] / "stylelite" / "models" / "weights") + "/"  # shipped weights
SLOW_TEMPORAL = "the temporal-comparison recipe: three distils and the 45 MB teacher's export (minutes)"
