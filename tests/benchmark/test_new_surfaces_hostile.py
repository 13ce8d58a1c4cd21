"""The Gram column's weights reader as a hostile file drives it (benchmark/gram_style.py): no pickle in the file
runs code, not even its header or its storage keys; a truncated or lying file is one CheckpointError."""

from __future__ import annotations

import os
import pickle
import struct
from collections import OrderedDict

import pytest

from stylelite.benchmark.gram_style import read_legacy_torch_file
from stylelite.runtime.errors import CheckpointError

MAGIC = 0x1950A86A20F9469CFC6C  # torch's legacy magic number


class _Payload:
    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _Storage:  # pickled as a persistent id, as torch.save writes a storage
    pass


class _Tensor:
    def __init__(self, storage, offset, size, stride) -> None:
        self.args = (storage, offset, size, stride, False, OrderedDict())

    def __reduce__(self):
        import torch._utils

        return (torch._utils._rebuild_tensor_v2, self.args)


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        return ("storage", "FloatStorage", "0", "cpu", 4) if isinstance(obj, _Storage) else None


def _legacy_file(path, header=(MAGIC, 1001, {}), obj=None, keys=("0",), data=struct.pack("<q", 4) + bytes(16)):
    with open(path, "wb") as f:
        for h in header:
            pickle.dump(h, f, protocol=2)
        _Pickler(f, protocol=2).dump(obj if obj is not None else {"w": _Tensor(_Storage(), 0, (2, 2), (2, 1))})
        pickle.dump(list(keys) if isinstance(keys, tuple) else keys, f, protocol=2)
        f.write(data)
    return path


def test_no_pickle_in_the_file_runs_code(tmp_path):
    pytest.importorskip("torch")
    marker = tmp_path / "PWNED"
    good = _legacy_file(tmp_path / "good.bin")
    assert read_legacy_torch_file(good)["w"].shape == (2, 2)
    for where, path in (
        ("header", _legacy_file(tmp_path / "h.bin", header=(_Payload(marker), 1001, {}))),
        ("keys", _legacy_file(tmp_path / "k.bin", keys=_Payload(marker))),
    ):
        with pytest.raises(CheckpointError, match="system is not allowed in a weights file"):
            read_legacy_torch_file(path)
        assert not marker.exists(), f"the {where} pickle ran code"


def test_a_truncated_or_lying_file_is_one_checkpoint_error(tmp_path):
    pytest.importorskip("torch")
    whole = _legacy_file(tmp_path / "good.bin").read_bytes()
    for n in (0, 10, len(whole) // 2, len(whole) - 3):
        (tmp_path / "t.bin").write_bytes(whole[:n])
        with pytest.raises(CheckpointError, match="t.bin: not a readable legacy torch weights file"):
            read_legacy_torch_file(tmp_path / "t.bin")
    far = _legacy_file(tmp_path / "far.bin", obj={"w": _Tensor(_Storage(), 0, (1000,), (1,))})  # past its 4 floats
    with pytest.raises(CheckpointError, match="far.bin: not a readable legacy torch weights file"):
        read_legacy_torch_file(far)
    huge = _legacy_file(tmp_path / "huge.bin", data=struct.pack("<q", 1 << 60))  # a storage larger than the file
    with pytest.raises(CheckpointError, match="truncated"):
        read_legacy_torch_file(huge)
    with pytest.raises(CheckpointError, match="no torch magic number"):
        read_legacy_torch_file(_legacy_file(tmp_path / "nomagic.bin", header=(1, 1001, {})))
