"""drop_blocks as a hostile user runs it: another family, a student without trained weights, an output folder
that cannot be written. Each is one line before anything is written, and nothing is left behind."""

from __future__ import annotations

import errno
import tempfile

import pytest

from stylelite.distill.drop_blocks import main


def _refusal(*argv: str) -> str:
    with pytest.raises(SystemExit) as e:
        main(list(argv))
    assert isinstance(e.value.code, str) and "\n" not in e.value.code
    return e.value.code


def test_a_student_of_another_family_is_refused(tmp_path):
    from safetensors.torch import save_file

    from stylelite.models.registry import create_student

    weights = tmp_path / "m.safetensors"
    save_file(create_student("mobilegen_s_025").state_dict(), str(weights))
    msg = _refusal(f"mobilegen_s_025={weights}", str(tmp_path / "d.safetensors"), "--drop", "0")
    assert "mobilegen_s_025 is not a ShuffleGen student" in msg
    assert not (tmp_path / "d.safetensors").exists()


@pytest.mark.parametrize("name", ["shufflegen_s_050", "mobilegen_s_025"])
def test_a_student_without_trained_weights_is_refused(tmp_path, name):
    msg = _refusal(name, str(tmp_path / "d.safetensors"), "--drop", "0")
    assert f"{name} names no trained weights" in msg and f"{name}=weights.safetensors" in msg
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_output_folder_is_one_line(tmp_path, monkeypatch):
    """What a read-only mount does (root included): the temporary file cannot be made."""

    def read_only(*a, **k):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    msg = _refusal("shufflegen_t_050.cartoon", str(tmp_path / "d9.safetensors"), "--drop", "0")
    assert msg == f"error: writing {tmp_path / 'd9.safetensors'} failed: the file system is read-only"
    assert list(tmp_path.iterdir()) == []


def test_an_output_folder_that_is_a_file_is_refused_before_loading(tmp_path, monkeypatch):
    import stylelite.models.registry as registry

    (tmp_path / "f").write_text("x")
    monkeypatch.setattr(registry, "create_student", lambda *a, **k: pytest.fail("loaded before the refusal"))
    msg = _refusal("shufflegen_t_050.cartoon", str(tmp_path / "f" / "d.safetensors"), "--drop", "0")
    assert "is a file, not a folder" in msg
