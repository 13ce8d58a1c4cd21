"""Export verification: an artifact that differs from PyTorch is refused and not kept."""

import pytest

from stylelite.export.api import export_model
from stylelite.export.verify import verification_frames, verify_artifact
from stylelite.models.registry import create_student
from stylelite.runtime.engines import load_engine
from stylelite.runtime.errors import ExportError


def test_metadata_round_trips_without_extra_flags(student_onnx):
    meta = load_engine(student_onnx).meta
    assert meta.model == "mobilegen_s_025" and meta.precision == "fp32"
    assert meta.input_range == (-1.0, 1.0) and meta.layout == "NCHW" and meta.stride == 4
    assert meta.height is None and meta.width is None  # dynamic H x W


def test_artifact_of_other_weights_fails_verification(student_onnx):
    other = create_student("mobilegen_s_025")
    with __import__("torch").no_grad():
        for p in other.parameters():
            p.add_(0.5)  # a different network with the same architecture
    with pytest.raises(ExportError, match=r"differs from PyTorch: PSNR .* < 40 dB"):
        verify_artifact(other, student_onnx, verification_frames())


def test_static_size_export_records_its_size(tmp_path):
    res = export_model("mobilegen_s_025", tmp_path / "s64.onnx", dynamic=False, sample_size=64)
    meta = load_engine(res.path).meta
    assert (meta.height, meta.width) == (64, 64) and res.verification.passed
    assert not list(tmp_path.glob(".*unverified*"))
