"""Where int8 loses a student's fidelity: quantize an fp32 ONNX student with onnxruntime's static QDQ quantizer
(the exporter's settings, export/onnx2int8.quantize_qdq), one setting changed at a time, and score each graph
against the teacher on the first 40 frames of a held-out clip as `bench --clip real` scores them
(int8_sensitivity.txt).

    stylelite export shufflegen_s_050.cartoon -o student.onnx
    stylelite export cyclegan_r9_bn.cartoon -o teacher.onnx
    python docs/measurements/int8_sensitivity.py student.onnx teacher.onnx --clip carphone
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import cv2
import numpy as np

from stylelite.export.int8_layers import with_fused_relus
from stylelite.export.onnx2int8 import quantize_qdq
from stylelite.runtime.corpus import clip_paths, photo_paths
from stylelite.runtime.engines import load_engine
from stylelite.runtime.flicker import warping_error
from stylelite.runtime.flow import ClipFlows
from stylelite.runtime.frames import to_model_input
from stylelite.runtime.metrics import color_difference, psnr, ssim
from stylelite.runtime.video import read_image, read_video


def calibration_photos(square: bool) -> list[np.ndarray]:
    """The data extra's colour photos, longest side 256 (square: 256x256 centre crops, one shape for the
    histogram calibrators)."""
    out = []
    for path in photo_paths().values():
        f = read_image(path)
        h, w = f.shape[:2]
        if square:
            s = 256 / min(h, w)
            g = cv2.resize(f, (max(256, round(w * s)), max(256, round(h * s))), interpolation=cv2.INTER_AREA)
            y, x = (g.shape[0] - 256) // 2, (g.shape[1] - 256) // 2
            out.append(np.ascontiguousarray(g[y : y + 256, x : x + 256]))
        else:
            s = min(1.0, 256 / max(h, w))
            out.append(cv2.resize(f, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA))
    return out


def quantize(fp32: Path, dst: Path, frames, int8_convs: list[str], reduce_range: bool, method: str) -> Path:
    """Quantize the convs in `int8_convs` (with the Relus after them) as the exporter does, calibrated by
    `method`; the fp32 graph's metadata is kept."""
    import onnx

    meta = load_engine(str(fp32)).meta
    feeds = ({"image": to_model_input(f, meta)[0]} for f in frames)
    nodes = tuple(with_fused_relus(fp32, set(int8_convs)))
    quantize_qdq(fp32, dst, feeds, per_channel=True, reduce_range=reduce_range, only=nodes, method=method)
    model = onnx.load(str(dst))
    del model.metadata_props[:]
    model.metadata_props.extend(onnx.load(str(fp32)).metadata_props)
    onnx.save(model, str(dst))
    return dst


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("student", type=Path, help="the fp32 ONNX student")
    p.add_argument("teacher", type=Path, help="the teacher's ONNX file (the reference)")
    p.add_argument("--clip", default="carphone", help="a clip of the data extra (default carphone)")
    p.add_argument("--frames", type=int, default=40)
    args = p.parse_args()

    import onnx

    frames, _ = read_video(clip_paths((args.clip,))[args.clip], args.frames)
    flows = ClipFlows(frames)
    teacher = [load_engine(str(args.teacher), threads=2).stylize(f) for f in frames]

    def score(label: str, path: Path) -> None:
        engine = load_engine(str(path), threads=2)
        outs = [engine.stylize(f) for f in frames]
        print(
            f"{label:44s} {np.mean([psnr(a, b) for a, b in zip(outs, teacher)]):6.2f}  "
            f"{ssim(np.stack(outs), np.stack(teacher)):.3f}  "
            f"{np.mean([color_difference(a, b) for a, b in zip(outs, teacher)]):5.2f}  "
            f"{warping_error(outs, flows).mean:.5f}",
            flush=True,
        )

    convs = [n.name for n in onnx.load(str(args.student)).graph.node if n.op_type == "Conv"]
    body = convs[1:]  # --precision auto leaves the stem float on this CPU
    photos, square = calibration_photos(False), calibration_photos(True)
    print(f"teacher flicker {warping_error(teacher, flows).mean:.5f}; variant, PSNR dB, SSIM, colour dE, flicker")
    score("fp32", args.student)
    variants = [
        ("int8, minmax, rr", photos, body, True, "MinMax"),
        ("int8, minmax, no rr", photos, body, False, "MinMax"),
        ("int8, sq, percentile, no rr", square, body, False, "Percentile"),
        ("int8 + stem, minmax, no rr", photos, convs, False, "MinMax"),
        ("head float, minmax, no rr", photos, body[:-1], False, "MinMax"),
        ("head float, sq, percentile, no rr", square, body[:-1], False, "Percentile"),
        *[(f"only {c} int8", photos, [c], False, "MinMax") for c in body],
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, calib, int8_convs, rr, method) in enumerate(variants):
            score(label, quantize(args.student, Path(tmp) / f"{i}.onnx", calib, int8_convs, rr, method))


if __name__ == "__main__":
    main()
