"""The dense-conv ceiling reference artifacts (built by stylelite.export.ceiling_reference).

`stylelite bench` times the reference of a model's engine and precision beside the model, so a
model's achieved GMAC/s can be read as a share of what the same engine reaches on dense 3x3 convs.
"""

from __future__ import annotations

from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent
# the ONNX references take any size (timed at 640x480: the dense convs run at 160x120); TFLite needs
# a fixed one. (format, precision) -> (file name, fixed size or None); the export format table says which
# (stylelite.export.formats.reference_sweep, tested equal)
REFERENCE_ARTIFACTS: dict[tuple[str, str], tuple[str, int | None]] = {
    ("onnx", "fp32"): ("dense_conv_fp32.onnx", None),
    ("onnx", "fp16"): ("dense_conv_fp16.onnx", None),
    ("onnx", "int8"): ("dense_conv_int8.onnx", None),
    ("tflite", "fp32"): ("dense_conv_fp32.tflite", 480),
    ("tflite", "int8"): ("dense_conv_int8.tflite", 480),
}
# what the ONNX references are timed at (W, H): the 64->64 convs at 160x120
ONNX_REFERENCE_SIZE = (640, 480)


def reference_artifact(suffix: str, precision: str) -> Path | None:
    """The reference for a model file's suffix (`.onnx`, `.tflite`) and precision, or None when
    there is none (e.g. TFLite fp16: no reference shipped)."""
    entry = REFERENCE_ARTIFACTS.get((suffix.lstrip(".").lower(), precision))
    if entry is None:
        return None
    path = REFERENCE_DIR / entry[0]
    return path if path.is_file() else None
