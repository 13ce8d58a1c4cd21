"""The label store: augmented crops labelled once, resumable, refused when made for another teacher."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from stylelite.distill.augment import AugmentConfig, augmented_crop, colour
from stylelite.distill.label_store import LabelStore, StoreSpec, fill_label_store, shard_path
from stylelite.models.registry import create_teacher
from stylelite.runtime.errors import ConfigError, InputError


@pytest.fixture(scope="module")
def teacher():
    torch.manual_seed(0)
    return create_teacher("fast_neural_style").eval()  # tiny enough at 32 px; random weights are fine here


def _images():
    rng = np.random.default_rng(3)
    photo = rng.integers(0, 256, (90, 120, 3), dtype=np.uint8)
    grey = np.repeat(rng.integers(0, 256, (70, 70, 1), dtype=np.uint8), 3, axis=2)
    return ["photo", "texture"], [photo, grey]


def _spec(crops: int = 10, **kw) -> StoreSpec:
    names, _ = _images()
    fields = dict(teacher="t", teacher_digest="0123456789abcdef", crop=32, crops=crops, shard_size=4, seed=5)
    fields.update(sources=tuple(names))
    fields.update(augment=AugmentConfig().to_dict())
    fields.update(kw)
    return StoreSpec(**fields)


def test_fill_writes_shards_and_reads_back(tmp_path, teacher):
    _, images = _images()
    assert fill_label_store(tmp_path, teacher, _spec(), images, progress=False) == 3  # 4 + 4 + 2
    store = LabelStore(tmp_path)
    assert len(store) == 10 and store.complete
    assert store.inputs.dtype == np.uint8 and store.inputs.shape == (10, 32, 32, 3)
    x, y, features, condition = store.batch(6)
    assert features == {} and condition is None
    assert x.shape == y.shape == (6, 3, 32, 32)
    assert -1.0 <= float(x.min()) and float(x.max()) <= 1.0 and -1.0 <= float(y.min()) and float(y.max()) <= 1.0
    assert json.loads((tmp_path / "store.json").read_text())["crop"] == 32
    assert not list(tmp_path.glob(".*")), "no temporary files left behind"


def test_interrupted_fill_resumes_to_the_same_store(tmp_path, teacher):
    _, images = _images()
    fill_label_store(tmp_path / "straight", teacher, _spec(), images, progress=False)
    fill_label_store(tmp_path / "resumed", teacher, _spec(), images, progress=False)
    shard_path(tmp_path / "resumed", 1).unlink()  # as if killed while writing shard 1
    assert fill_label_store(tmp_path / "resumed", teacher, _spec(), images, progress=False) == 1
    for i in range(3):
        with np.load(shard_path(tmp_path / "straight", i)) as a, np.load(shard_path(tmp_path / "resumed", i)) as b:
            assert np.array_equal(a["inputs"], b["inputs"]) and np.array_equal(a["outputs"], b["outputs"])


def test_store_grows_but_refuses_another_teacher_or_crop(tmp_path, teacher):
    _, images = _images()
    fill_label_store(tmp_path, teacher, _spec(crops=4), images, progress=False)
    assert fill_label_store(tmp_path, teacher, _spec(crops=8), images, progress=False) == 1  # more crops: grows
    with pytest.raises(ConfigError, match="made with other teacher.*another --labels folder"):
        fill_label_store(tmp_path, teacher, _spec(teacher="other"), images, progress=False)
    with pytest.raises(ConfigError, match="made with other crop"):
        fill_label_store(tmp_path, teacher, _spec(crop=48), images, progress=False)


def test_partial_and_missing_stores(tmp_path, teacher):
    with pytest.raises(InputError, match="is not a label store"):
        LabelStore(tmp_path)
    _, images = _images()
    fill_label_store(tmp_path, teacher, _spec(), images, progress=False)
    shard_path(tmp_path, 2).unlink()
    store = LabelStore(tmp_path)
    assert len(store) == 8 and not store.complete


def test_augmented_crops_cover_colours_and_sizes():
    _, (photo, grey) = _images()
    rng = np.random.default_rng(0)
    crops = [augmented_crop(photo, 48, rng, AugmentConfig()) for _ in range(20)]
    assert all(c.shape == (48, 48, 3) and c.dtype == np.uint8 for c in crops)
    small = augmented_crop(photo[:40, :40], 48, rng, AugmentConfig())  # smaller than the crop: scaled up
    assert small.shape == (48, 48, 3)
    tinted = colour(grey[:48, :48], np.random.default_rng(1), AugmentConfig(tint_p=1.0, hue_p=0.0, saturation=(1, 1)))
    assert np.ptp(tinted.astype(int), axis=-1).max() > 10, "a greyscale texture comes out in colour"


@pytest.mark.parametrize(
    "field, value, match",
    [("scale", (0.0, 1.0), "0 < low <= high"), ("hue_p", 1.5, "probability"), ("noise_std", -1.0, "0..64")],
)
def test_augment_config_is_validated(field, value, match):
    with pytest.raises(ConfigError, match=match):
        AugmentConfig(**{field: value})


def test_distill_cli_with_label_store_ema_colour_and_ssim(tmp_path, monkeypatch, capsys):
    """`stylelite distill --labels` fills the store, trains on it, and ships the EMA weights."""
    from safetensors import safe_open
    from safetensors.torch import load_file

    from stylelite.cli.main import main

    monkeypatch.chdir(tmp_path)
    common = ["distill", "--student", "shufflegen_t_038", "--labels", "store", "--label-crops", "8", "--crop", "64"]
    common += ["--batch", "4", "--steps", "3", "--data", "world", "--threads", "1"]
    assert main([*common, "--ema", "0.5", "--w-feature", "0.1"]) == 1  # the store has no features
    assert "--w-feature 0" in capsys.readouterr().err
    assert not (tmp_path / "store").exists() and not (tmp_path / "runs").exists()
    assert main([*common, "--w-feature", "0", "--w-color", "2", "--w-ssim", "0.5", "--ema", "0.5"]) == 0
    run = next((tmp_path / "runs").iterdir())
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert log[-1]["step"] == 3 and log[-1]["color"] > 0 and log[-1]["ssim"] > 0
    state, student = load_file(run / "state.safetensors"), load_file(run / "student.safetensors")
    ema = {k.removeprefix("ema/"): v for k, v in state.items() if k.startswith("ema/")}
    assert ema and all(torch.equal(student[k], v) for k, v in ema.items())
    with safe_open(run / "student.safetensors", "pt") as f:
        assert f.metadata()["w_ssim"] == "0.5" and f.metadata()["w_color"] == "2.0"
    assert LabelStore(tmp_path / "store").complete


def test_the_store_is_filled_from_the_data_given(tmp_path, monkeypatch, capsys):
    """--labels with --data FOLDER labels crops of that folder's images, each recorded by name, and the
    teacher's weights by digest: a store of an older `cyclegan_r9_bn.cartoon` (say, before an upgrade that
    shipped new weights under that name) is refused, not mixed with the new teacher's labels."""
    from stylelite.cli.main import main
    from stylelite.distill.label_store import file_digest
    from stylelite.models.registry import PRETRAINED
    from stylelite.runtime.video import write_image
    from tests.conftest import make_photo

    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine").mkdir()
    for i in range(2):
        write_image(tmp_path / "mine" / f"p{i}.png", make_photo(80, 96, seed=i))
    args = ["distill", "--student", "shufflegen_t_038", "--labels", "store", "--label-crops", "4", "--crop", "64"]
    args += ["--batch", "2", "--steps", "1", "--data", "mine", "--threads", "1", "--w-feature", "0"]
    assert main(args) == 0
    spec_file = tmp_path / "store" / "store.json"
    spec = json.loads(spec_file.read_text())
    assert spec["sources"] == ["mine/p0.png", "mine/p1.png"]
    assert spec["teacher_digest"] == file_digest(PRETRAINED["cyclegan_r9_bn.cartoon"][0]) != ""
    spec_file.write_text(json.dumps({**spec, "teacher_digest": "0" * 16}))  # the same name, other weights
    capsys.readouterr()
    assert main(args) == 1
    err = capsys.readouterr().err
    assert "made with other teacher weights" in err and "give another --labels folder" in err
    assert "Traceback" not in err


def test_file_digest_reads_files_only(tmp_path):
    import hashlib

    from stylelite.distill.label_store import file_digest

    (tmp_path / "w").write_bytes(b"weights")
    assert file_digest(tmp_path / "w") == hashlib.sha256(b"weights").hexdigest()[:16]
    assert file_digest(tmp_path) == file_digest(None) == file_digest(tmp_path / "missing") == ""


def test_ranks_fill_alternate_shards_of_one_store(tmp_path, teacher):
    _, images = _images()
    assert fill_label_store(tmp_path, teacher, _spec(), images, progress=False, part=(1, 2)) == 1  # shard 1 of 3
    assert [shard_path(tmp_path, i).exists() for i in range(3)] == [False, True, False]
    assert fill_label_store(tmp_path, teacher, _spec(), images, progress=False, part=(0, 2)) == 2
    assert LabelStore(tmp_path).complete
    before = (tmp_path / "store.json").stat().st_mtime_ns
    fill_label_store(tmp_path, teacher, _spec(crops=6), images, progress=False)  # a smaller ask: nothing rewritten
    assert (tmp_path / "store.json").stat().st_mtime_ns == before and len(LabelStore(tmp_path)) == 10
