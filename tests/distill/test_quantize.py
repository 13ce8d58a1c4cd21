"""QAT (`distill --qat int8`): option checks, calibration on real crops, and a tiny QAT run that exports to int8."""

import pytest
import torch

from stylelite.distill.distiller import DistillConfig
from stylelite.distill.quantization import check_qat_options, float_state_dict
from stylelite.distill.run_data import calibration_batches
from stylelite.runtime.errors import ConfigError
from tests.conftest import make_photo


def test_qat_options_are_checked():
    check_qat_options("", "nncf")
    check_qat_options("int8", "nncf")
    with pytest.raises(ConfigError, match="supported: int8"):
        DistillConfig(qat="int4")
    with pytest.raises(ConfigError, match="choose one of nncf"):
        DistillConfig(qat="int8", qat_engine="pt2e")
    with pytest.raises(ConfigError, match="no such weights file"):
        DistillConfig(init_from="missing/student.safetensors")


def test_calibration_batches_are_real_crops_in_range():
    images = [make_photo(60, 80, seed=1), make_photo(200, 260, seed=2)]
    batches = calibration_batches(images, crop=64, n=3, batch=2, seed=0)
    assert len(batches) == 3 and all(b.shape == (2, 3, 64, 64) for b in batches)
    x = torch.cat(batches)
    assert x.min() >= -1 and x.max() <= 1 and x.std() > 0.1


def test_float_state_dict_keeps_only_student_weights():
    from stylelite.models.registry import create_student

    m = create_student("mobilegen_s_025")
    sd = dict(m.state_dict(), **{"__nncf_hooks.q.scale": torch.ones(1)})  # what an NNCF QAT model adds
    fake = type("QatModel", (), {"state_dict": lambda self: sd})()
    assert set(float_state_dict(fake, m)) == set(m.state_dict())


@pytest.mark.slow  # NNCF compiles its C++ extension on first use (~40-60 s)
def test_qat_run_exports_to_verified_int8(tmp_path, monkeypatch, clip_path):
    from stylelite.distill.distiller import distill
    from stylelite.export.api import export_model
    from stylelite.models.load import weights_metadata
    from stylelite.runtime.engines import load_engine

    monkeypatch.setenv("TORCH_EXTENSIONS_DIR", str(tmp_path / "ext"))
    run = distill(
        "cyclegan_r6",
        "mobilegen_s_025",
        out=tmp_path / "runs",
        progress=False,
        steps=3,
        batch=2,
        crop=32,
        cache_size=4,
        temporal_batch=2,
        qat="int8",
        qat_calib_batches=2,
        random_teacher=True,
        data=(str(clip_path),),
    )
    weights = run / "student.safetensors"
    meta = weights_metadata(weights)
    assert meta["qat"] == "int8" and meta["qat_engine"] == "nncf"
    assert (run / "qat.json").is_file()
    res = export_model(str(weights), tmp_path / "qat_int8.onnx", precision="int8", calib=clip_path)
    assert res.verification.passed
    art = load_engine(res.path).meta
    assert art.precision == "int8" and art.qat == "int8"
