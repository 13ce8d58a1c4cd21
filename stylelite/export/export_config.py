"""What `stylelite export` makes of a model (ExportConfig), checked against the format table, and the int8
calibration frames it needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from stylelite.export.formats import check_config
from stylelite.export.onnx2tflite import TFLITE_IO
from stylelite.export.onnx_uint8_io import ONNX_IO
from stylelite.runtime.errors import ConfigError, UnknownNameError
from stylelite.runtime.frame_size import check_size


@dataclass(frozen=True)
class ExportConfig:
    """What to make of a model.

    Attributes:
        format: artifact kind: onnx, or tflite (NHWC, through onnx2tf; needs a fixed size: dynamic=False).
        precision: fp32; fp16 (weights and activations, fp32 inputs/outputs); int8 (QDQ, needs calibration);
            auto (ONNX: each conv timed here in fp32 and int8 (export/int8_layers.py); int8 QDQ on the convs
            it speeds up, the rest float; fp32 when it speeds up none; needs calibration).
        dynamic: dynamic H and W (else fixed at sample_size).
        dynamo: use the torch.export-based ONNX exporter instead of the TorchScript one.
        sample_size: the trace size, and the fixed size when not dynamic: N (N x N) or (width, height).
        target: android-gpu | android-nnapi | xnnpack | tensorrt: list the ops that target would not
            run natively (a warning; the export still succeeds).
        simplify: simplify the graph (onnxslim) before the precision conversion.
        tflite_io: TFLite int8 only: the input/output tensor type, int8 | uint8 | float32.
        onnx_io: ONNX int8 only: float32 (NCHW pixels in the model's range) or uint8 (the frame's bytes as decoded,
            NHWC, in and out; export/onnx_uint8_io.py), for students whose int8 pixels are exact uint8 steps.
        threads: precision auto only: the inference threads the layers are timed with (0: onnxruntime's
            default); give the deployment's.
        equalize: int8 only: equalize the channel ranges of students where that is exact in float
            (models/equalize.py) before quantizing; False keeps the trained weights as they are (ablations).

    Which format takes which precision, size and model is the format table's (stylelite.export.formats).
    """

    format: str = "onnx"
    precision: str = "fp32"
    dynamic: bool = True
    dynamo: bool = False
    sample_size: int | tuple[int, int] = 256
    target: str | None = None
    simplify: bool = True
    tflite_io: str = "int8"
    onnx_io: str = "float32"
    threads: int = 0
    equalize: bool = True

    def __post_init__(self) -> None:
        check_config(self)
        check_size(self.sample_wh, f"static size {self.sample_wh[0]}x{self.sample_wh[1]}")
        if isinstance(self.threads, bool) or not isinstance(self.threads, int) or self.threads < 0:
            raise ConfigError(f"threads={self.threads}: use a whole number >= 0 (0: the engine's default)")
        check_probe_threads(self.threads, self.precision)
        if self.tflite_io not in TFLITE_IO:
            raise ConfigError(f"tflite_io {self.tflite_io!r}: use one of {', '.join(TFLITE_IO)}")
        if self.onnx_io not in ONNX_IO:
            raise ConfigError(f"onnx_io {self.onnx_io!r}: use one of {', '.join(ONNX_IO)}")
        if self.onnx_io == "uint8" and (self.format != "onnx" or self.precision != "int8"):
            raise ConfigError(
                f"--onnx-io uint8 is for ONNX int8 exports (--int8, format onnx); this one is {self.format} "
                f"{self.precision}" + (" (TFLite has --tflite-io uint8)" if self.format == "tflite" else "")
            )
        if self.target is not None:
            from stylelite.export.targets import TARGETS

            if self.target not in TARGETS:
                raise UnknownNameError(f"unknown target {self.target!r} (known: {', '.join(TARGETS)})")

    @property
    def quantizes(self) -> bool:
        """int8, or auto (which may choose int8): needs calibration frames, refuses what int8 refuses."""
        return self.precision in ("int8", "auto")

    @property
    def sample_wh(self) -> tuple[int, int]:
        """(width, height) of the trace, and of the fixed input when not dynamic."""
        size = self.sample_size
        return (size, size) if isinstance(size, int) else (int(size[0]), int(size[1]))

    @property
    def size(self) -> tuple[int, int] | None:
        """The fixed input (width, height), or None for dynamic H and W."""
        return None if self.dynamic else self.sample_wh


def check_probe_threads(threads: int, precision: str) -> None:
    """ConfigError for --threads where it does nothing (any precision but auto) or beyond this machine's cores."""
    import os

    if threads and precision != "auto":
        raise ConfigError(
            f"--threads {threads} times the layers of --precision auto only; {precision} does not use it: drop it"
        )
    cores = os.cpu_count() or 1
    if threads > cores:
        raise ConfigError(
            f"--threads {threads}: this machine has {cores} cores; use 1 to {cores} (0: onnxruntime's default)"
        )


@dataclass(frozen=True)
class Calibration:
    frames: list[np.ndarray]  # calibrate on these
    held_out: list[np.ndarray]  # verify int8 on these
    source: str


def calibration_for(config: ExportConfig, calib) -> Calibration | None:
    """The calibration frames `config` needs (None for float precisions), every fourth held out for verification;
    ConfigError when int8 gets none."""
    if not config.quantizes:
        return None
    if calib is None:
        raise ConfigError(
            "int8 needs real calibration frames: add --calib DIR_OR_VIDEO (footage like what the model will see)"
        )
    from stylelite.export.calibration import load_calibration_frames, split_calibration

    frames = load_calibration_frames(calib) if isinstance(calib, (str, Path)) else list(calib)
    if not config.dynamic:  # a fixed-size graph calibrates and verifies at its size
        import cv2

        size = config.sample_wh
        frames = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
    calib_frames, held_out = split_calibration(frames)
    source = str(calib) if isinstance(calib, (str, Path)) else "frames given in Python"
    return Calibration(calib_frames, held_out, source)
