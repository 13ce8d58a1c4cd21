"""Quantization-aware training: every call into a quantization library lives in this module.

Engine "nncf" (NNCF 3.4 PyTorch): `nncf.quantize` inserts fake quantizers (weights int8
per-channel symmetric, activations 8-bit per-tensor) calibrated on real training crops; the
returned model keeps its class and hooks (`forward_features` still works) and is trained further
with the distillation and temporal losses. Its float weights, shaped by the quantizers, are
saved as an ordinary student; the final Q/DQ placement is done at export by onnxruntime's own
quantizer (`stylelite export --int8 --calib`), which on this CPU converts every conv to an int8
kernel where NNCF's ONNX export left half of them in float (measured, see STACK.md).
"""

from __future__ import annotations

import importlib.metadata
import os
import tempfile

import torch
from torch import nn

from stylelite.runtime.errors import ConfigError, require

QAT_MODES = ("int8",)
QAT_ENGINES = ("nncf", "ranges")  # ranges: distill/range_qat.py (ShuffleGen students, learned int8 ranges)


def check_qat_options(qat: str, engine: str) -> None:
    """Validate `--qat` and the QAT engine (ConfigError with the fix)."""
    if qat and qat not in QAT_MODES:
        raise ConfigError(f"qat={qat!r}: supported: {', '.join(QAT_MODES)} (or empty for float training)")
    if engine not in QAT_ENGINES:
        raise ConfigError(f"qat_engine={engine!r}: choose one of {', '.join(QAT_ENGINES)}")


def prepare_qat(model: nn.Module, calibration: list[torch.Tensor], engine: str = "nncf") -> nn.Module:
    """Insert calibrated fake quantizers into `model`; returns the trainable QAT model.

    Args:
        model: a float student (eval mode for calibration; the result is put in train mode).
        calibration: real input batches [B,3,H,W] in the model's input range (never noise).
        engine: "nncf", or "ranges" (distill/range_qat.py: the exporter's int8 simulated, ranges learned).
    """
    check_qat_options("int8", engine)
    if engine == "ranges":
        from stylelite.distill.range_qat import prepare_range_qat

        return prepare_range_qat(model, calibration)
    nncf = require("nncf", "train")
    require("torchao", "train")  # nncf.strip imports it; nncf does not declare it
    # NNCF compiles a C++ extension on first use; keep its cache out of the home folder unless set.
    os.environ.setdefault("TORCH_EXTENSIONS_DIR", os.path.join(tempfile.gettempdir(), "stylelite-torch-extensions"))
    # ... and gives that compile 60 s by default, which a busy 2-core machine overruns
    os.environ.setdefault("NNCF_EXTENSION_LOAD_TIMEOUT", "600")
    import logging

    logging.getLogger("nncf").setLevel(logging.WARNING)
    model = model.eval()
    with torch.no_grad():
        qmodel = nncf.quantize(
            model,
            nncf.Dataset(calibration),
            subset_size=len(calibration),
            target_device=nncf.TargetDevice.CPU,
            fast_bias_correction=True,
        )
    return qmodel.train()


def float_state_dict(qat_model: nn.Module, float_model: nn.Module) -> dict[str, torch.Tensor]:
    """The QAT model's weights under the float student's keys (quantizer state left out)."""
    from stylelite.distill.range_qat import RangeQAT

    if isinstance(qat_model, RangeQAT):
        return qat_model.int8_grid_state()
    keys = set(float_model.state_dict())
    sd = {k: v for k, v in qat_model.state_dict().items() if k in keys}
    missing = keys - set(sd)
    assert not missing, f"QAT model lost weights: {sorted(missing)[:3]}"
    return sd


def qat_bounds(qat_model: nn.Module) -> dict[str, list[float]]:
    """The activation bounds the QAT learned ({} for engines that learn none)."""
    from stylelite.distill.range_qat import RangeQAT

    return qat_model.activation_bounds() if isinstance(qat_model, RangeQAT) else {}


def qat_record(engine: str) -> dict[str, str]:
    """What to record in the run and the weights file: engine, library versions, scheme."""
    if engine == "ranges":
        return {
            "qat": "int8",
            "qat_engine": engine,
            "qat_scheme": "the exporter's QDQ simulated: channel ranges equalized, weights int8 per-channel symmetric "
            "(7-bit range), activations uint8 per-tensor on learned ranges; the weights saved on their int8 grid",
            "qat_final_qdq": "onnxruntime quantize_static at export, each bounded tensor on its learned bounds",
        }
    pkgs = {"nncf": ("nncf", "torchao")}[engine]
    versions = {}
    for p in pkgs:
        try:
            versions[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            versions[p] = "missing"
    return {
        "qat": "int8",
        "qat_engine": engine,
        "qat_versions": ", ".join(f"{k} {v}" for k, v in versions.items()),
        "qat_scheme": "weights int8 per-channel symmetric, activations 8-bit per-tensor",
        "qat_final_qdq": "onnxruntime quantize_static at export (stylelite export --int8 --calib)",
    }
