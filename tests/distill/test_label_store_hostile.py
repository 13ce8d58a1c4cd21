"""A label store as a hostile user or a damaged disk leaves it: damaged shards, an edited store.json, a
file or a photo folder as --labels, a read-only store, absurd crop counts, a teacher whose outputs do not
match its inputs. Each is one line naming what to do, found before the teacher loads where it can be, and
nothing half-written is left; the same teacher file typed two ways is the same teacher."""

from __future__ import annotations

import io
import json
import os
import time

import numpy as np
import pytest
import torch
from torch import nn

from stylelite.distill.augment import AugmentConfig
from stylelite.distill.distill_config import DistillConfig
from stylelite.distill.label_store import (
    LabelStore,
    StoreSpec,
    check_store_folder,
    fill_label_store,
    read_spec,
    shard_path,
)
from stylelite.models.registry import create_teacher
from stylelite.runtime.errors import ConfigError, InputError

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def teacher():
    torch.manual_seed(0)
    return create_teacher("fast_neural_style").eval()


def _images():
    rng = np.random.default_rng(3)
    return ["a", "b"], [rng.integers(0, 256, (70, 90, 3), dtype=np.uint8) for _ in range(2)]


def _spec(**kw) -> StoreSpec:
    names, _ = _images()
    fields = dict(teacher="t", teacher_digest="0123456789abcdef", crop=32, crops=6, shard_size=4, seed=5)
    fields.update(sources=tuple(names), augment=AugmentConfig().to_dict())
    return StoreSpec(**{**fields, **kw})


@pytest.fixture()
def store(tmp_path, teacher):
    folder = tmp_path / "store"
    fill_label_store(folder, teacher, _spec(), _images()[1], progress=False)
    return folder


def _npz(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def _damage(path, how):
    good = np.zeros((4, 32, 32, 3), np.uint8)
    if how == "truncated":
        path.write_bytes(path.read_bytes()[:100])
    elif how == "garbage":
        path.write_bytes(np.random.default_rng(0).bytes(5000))
    elif how == "shape":  # a valid npz of other crops
        path.write_bytes(_npz(inputs=np.zeros((4, 16, 16, 3), np.uint8), outputs=np.zeros((4, 16, 16, 3), np.uint8)))
    elif how == "pickle":  # an object array: loading it would unpickle
        path.write_bytes(_npz(inputs=np.array([object()] * 4, dtype=object), outputs=good))
    elif how == "nokeys":
        path.write_bytes(_npz(x=good, y=good))
    elif how == "dtype":
        path.write_bytes(_npz(inputs=good.astype(np.float32), outputs=good))


@pytest.mark.parametrize("how", ["truncated", "garbage", "shape", "pickle", "nokeys", "dtype"])
def test_a_damaged_shard_is_one_line_naming_it(store, how, monkeypatch):
    _damage(shard_path(store, 1), how)
    for name in ("pickle.load", "pickle.loads"):
        monkeypatch.setattr(name, lambda *a, **k: pytest.fail("a shard was unpickled"))
    with pytest.raises(InputError, match=r"labels-00001\.npz .*remove it and run the same command again") as e:
        LabelStore(store)
    assert "\n" not in str(e.value)


def _edit_spec(folder, change):
    raw = json.loads((folder / "store.json").read_text())
    change(raw)
    (folder / "store.json").write_text(json.dumps(raw))


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda r: r.pop("sources"), "has no 'sources'"),
        (lambda r: r.update(evil=1), "unknown key 'evil'"),
        (lambda r: r.update(crops=10**12), r"crops=1000000000000: .* at most|from 1 to 1000000"),
        (lambda r: r.update(crop="32"), "crop='32'"),
        (lambda r: r.update(shard_size=0), "shard_size=0"),
        (lambda r: r.update(sources="ab"), "sources"),
        (lambda r: r.clear(), "another stylelite version"),
    ],
)
def test_an_edited_store_json_is_one_line_and_fast(store, change, match):
    _edit_spec(store, change)
    started = time.perf_counter()
    with pytest.raises(InputError, match=match) as e:
        LabelStore(store)
    assert time.perf_counter() - started < 2.0 and "\n" not in str(e.value)  # 10**12 crops: no loop over shards


def test_a_store_json_of_another_kind_is_one_line(store):
    (store / "store.json").write_text("[1, 2]")
    with pytest.raises(InputError, match="not a label store's spec"):
        read_spec(store)


def test_label_crops_are_bounded_before_anything_is_written(tmp_path):
    with pytest.raises(ConfigError, match="label_crops=1000000000000: .*at most 1000000"):
        DistillConfig(labels=str(tmp_path / "s"), label_crops=10**12, w_feature=0.0, random_teacher=True)
    assert not (tmp_path / "s").exists()
    with pytest.raises(ConfigError, match="crops=1000000000000"):
        _spec(crops=10**12)


def test_labels_naming_a_file_or_a_photo_folder_is_refused(tmp_path):
    photo = tmp_path / "img.png"
    photo.write_bytes(b"\x89PNG")
    with pytest.raises(InputError, match="--labels .*img.png is a file: give a folder"):
        check_store_folder(photo, 8)
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "holiday.jpg").write_bytes(b"jpeg")
    with pytest.raises(InputError, match="holds other files .*holiday.jpg.* and no store.json"):
        check_store_folder(photos, 8)
    assert sorted(p.name for p in photos.iterdir()) == ["holiday.jpg"]
    empty = tmp_path / "empty"
    empty.mkdir()
    check_store_folder(empty, 8)  # an empty folder is a new store
    check_store_folder(tmp_path / "new" / "store", 8)


def _deny_writes_under(monkeypatch, folder):
    real = os.access

    def access(path, mode, *a, **k):
        if mode & os.W_OK and str(os.path.abspath(path)).startswith(str(folder)):
            return False
        return real(path, mode, *a, **k)

    monkeypatch.setattr(os, "access", access)


def test_a_read_only_store_is_read_but_not_grown(store, monkeypatch):
    _deny_writes_under(monkeypatch, store.parent)
    check_store_folder(store, 6)  # full: reading needs no write
    assert len(LabelStore(store)) == 6
    with pytest.raises(InputError, match=r"cannot write the label store .*fewer than 400 crops.*not writable"):
        check_store_folder(store, 400)
    with pytest.raises(InputError, match="cannot write the label store .*new"):
        check_store_folder(store.parent / "new", 8)


def test_a_write_that_fails_anyway_is_one_line_and_leaves_nothing(tmp_path, teacher, monkeypatch):
    """What root on a read-only mount meets: access() allowed it, the write fails."""
    import errno
    import tempfile

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(InputError, match="writing .*store.json failed: the file system is read-only"):
        fill_label_store(tmp_path / "s", teacher, _spec(), _images()[1], progress=False)


def test_a_teacher_file_typed_as_absolute_or_relative_path_is_one_teacher(tmp_path, teacher):
    relative = _spec(teacher="../fx/good.onnx")
    absolute = _spec(teacher=str(tmp_path / "fx" / "good.onnx"))
    assert relative.agrees_with(absolute) == []
    assert "teacher_digest" in relative.agrees_with(_spec(teacher="../fx/good.onnx", teacher_digest="f" * 16))
    assert _spec(teacher="a:x.pth").agrees_with(_spec(teacher="a:/abs/x.pth")) == []
    assert _spec(teacher="cyclegan_r9:x.pth").agrees_with(_spec(teacher="cyclegan_r6:x.pth")) == ["teacher"]
    fill_label_store(tmp_path / "s", teacher, relative, _images()[1], progress=False)
    assert fill_label_store(tmp_path / "s", teacher, absolute, _images()[1], progress=False) == 0  # reused


class BatchOne(nn.Module):
    """A teacher correct only at batch 1: it returns two images whatever the batch."""

    def __init__(self, inner):
        super().__init__()
        self.inner, self.card = inner, inner.card

    def forward(self, x):
        return self.inner(x)[:1].repeat(2, 1, 1, 1)


def test_a_teacher_returning_the_wrong_batch_never_writes_a_shard(tmp_path, teacher):
    with pytest.raises(InputError, match=r"returned \[2, 3, 32, 32\] for a batch of 4 crops") as e:
        fill_label_store(tmp_path / "s", BatchOne(teacher), _spec(), _images()[1], progress=False)
    assert "\n" not in str(e.value)
    assert not (tmp_path / "s").exists()  # a new store that got no shard is not left behind


def _cli(capsys, *argv):
    from stylelite.cli.main import main

    code = main(list(argv))
    return code, capsys.readouterr().err


TINY = ("distill", "--teacher", "fast_neural_style", "--random-teacher", "--student", "shufflegen_t_038")
TINY += ("--w-feature", "0", "--steps", "1", "--batch", "2", "--crop", "32", "--threads", "1")


def _no_teacher(monkeypatch):
    import stylelite.models.load as load

    monkeypatch.setattr(load, "load_model", lambda *a, **k: pytest.fail("the teacher loaded before the refusal"))


def test_cli_refusals_come_before_the_teacher_loads(tmp_path, capsys, monkeypatch):
    _no_teacher(monkeypatch)
    photo = tmp_path / "img128.png"
    photo.write_bytes(b"not a store")
    code, err = _cli(capsys, *TINY, "--labels", str(photo), "-o", str(tmp_path / "runs"))
    assert code == 1 and "is a file: give a folder" in err and err.count("\n") == 1
    photos = tmp_path / "calib"
    photos.mkdir()
    (photos / "a.jpg").write_bytes(b"x")
    code, err = _cli(capsys, *TINY, "--labels", str(photos), "-o", str(tmp_path / "runs"))
    assert code == 1 and "a label store needs a folder of its own" in err
    code, err = _cli(capsys, *TINY, "--labels", str(tmp_path / "s"), "--label-crops", str(10**12))
    assert code == 1 and "at most 1000000" in err and not (tmp_path / "s").exists()
    assert not (tmp_path / "runs").exists() and sorted(p.name for p in photos.iterdir()) == ["a.jpg"]


def test_cli_on_a_poisoned_store_json_is_one_line_at_once(store, tmp_path, capsys, monkeypatch):
    _no_teacher(monkeypatch)
    _edit_spec(store, lambda r: r.update(crops=10**12))
    started = time.perf_counter()
    code, err = _cli(capsys, *TINY, "--labels", str(store), "--label-crops", "300", "-o", str(tmp_path / "runs"))
    assert code == 1 and "store.json is damaged" in err and err.count("\n") == 1
    assert time.perf_counter() - started < 5 and not (tmp_path / "runs").exists()


def test_a_text_file_as_data_or_a_bad_init_from_is_refused_before_the_teacher_loads(tmp_path, capsys, monkeypatch):
    _no_teacher(monkeypatch)
    (tmp_path / "notes.mp4").write_text("hello")
    code, err = _cli(capsys, *TINY, "--data", str(tmp_path / "notes.mp4"), "-o", str(tmp_path / "runs"))
    assert code == 1 and "notes.mp4 is not a readable video" in err
    (tmp_path / "imgs").mkdir()
    (tmp_path / "imgs" / "a.png").write_text("hello")
    code, err = _cli(capsys, *TINY, "--data", str(tmp_path / "imgs"), "-o", str(tmp_path / "runs"))
    assert code == 1 and "a.png is not a readable image" in err
    (tmp_path / "bad.safetensors").write_text("hello")
    code, err = _cli(capsys, *TINY, "--init-from", str(tmp_path / "bad.safetensors"), "-o", str(tmp_path / "runs"))
    assert code == 1 and "bad.safetensors" in err and err.count("\n") == 1
    assert not (tmp_path / "runs").exists()
