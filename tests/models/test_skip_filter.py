"""ShuffleGen's skip filter (`shufflegen_t_050_sk`): started from the plain student's weights it is the same
picture; its weights refuse the plain student in one line that names the right one."""

import pytest
import torch

from stylelite.models.registry import PRETRAINED, create_student
from stylelite.models.shufflegen import SkipFilter
from stylelite.runtime.errors import CheckpointError
from tests.conftest import run_cli


def test_plain_weights_start_the_filtered_student_at_the_same_picture():
    plain = create_student("shufflegen_t_050.cartoon")
    filtered = create_student("shufflegen_t_050_sk", checkpoint=PRETRAINED["shufflegen_t_050.cartoon"][0])
    x = torch.rand(1, 3, 48, 72) * 2 - 1
    with torch.no_grad():
        assert torch.equal(plain(x), filtered(x))
    assert filtered.skip.weight().sum().item() == pytest.approx(3.0)  # three identity kernels


def test_filtered_weights_name_their_student(tmp_path):
    from stylelite.distill.training_state import save_weights

    path = tmp_path / "sk.safetensors"
    save_weights(path, create_student("shufflegen_t_050_sk"), metadata={"model": "shufflegen_t_050_sk"})
    with pytest.raises(CheckpointError, match="unexpected keys \\(skip.kernel, skip.offset\\); it looks like "
                       "shufflegen_t_050_sk"):  # fmt: skip
        create_student("shufflegen_t_050", checkpoint=path)
    r = run_cli("export", "shufflegen_t_050", "--checkpoint", str(path), "-o", str(tmp_path / "a.onnx"))
    assert r.returncode != 0 and "it looks like shufflegen_t_050_sk" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "a.onnx").exists()


@pytest.mark.parametrize("size", [0, 1, 2, 4])
def test_a_filter_needs_an_odd_size_of_three_or_more(size):
    with pytest.raises(ValueError, match="odd size of at least 3"):
        SkipFilter(size)
