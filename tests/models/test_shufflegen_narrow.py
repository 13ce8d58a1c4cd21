"""A thinner ShuffleGen started from a wider one's weights (`distill --init-from`): the kept channels and the
weights between them are exact, so a wide student whose extra channels are dead narrows to the same picture."""

import pytest
import torch

from stylelite.distill.training_state import save_weights
from stylelite.models.registry import create_student
from stylelite.models.shufflegen_narrow import narrow_state, start_student
from stylelite.runtime.errors import CheckpointError
from tests.conftest import run_cli


def _wide_with_dead_channels(dead: list[int]) -> torch.nn.Module:
    """shufflegen_t_050 (32 channels) with random weights, the `dead` stream and hidden channels zeroed."""
    torch.manual_seed(0)
    wide = create_student("shufflegen_t_050").eval()
    with torch.no_grad():
        for p in wide.parameters():
            p.normal_(0, 0.05)
        wide.stem[0].weight[dead] = 0
        wide.stem[0].bias[dead] = 0
        wide.head.weight[:, dead] = 0
        for block in wide.blocks:
            block.conv1.weight[:, dead] = 0  # reads the dead stream channels
            block.conv1.weight[dead] = 0  # the dead hidden channels
            block.conv1.bias[dead] = 0
            block.conv2.weight[:, dead] = 0
            block.conv2.weight[dead] = 0
            block.conv2.bias[dead] = 0
    return wide


def test_dead_channels_are_the_ones_dropped_and_the_picture_holds(tmp_path):
    dead = [1, 4, 9, 13, 17, 22, 27, 30]
    wide = _wide_with_dead_channels(dead)
    path = tmp_path / "wide.safetensors"
    save_weights(path, wide, metadata={"model": "shufflegen_t_050"})
    thin, note = start_student("shufflegen_t_038", str(path))
    assert "32-channel weights narrowed to shufflegen_t_038's 24 channels" in note
    kept = [c for c in range(32) if c not in dead]
    assert torch.equal(thin.stem[0].weight, wide.stem[0].weight[kept])
    x = torch.rand(1, 3, 40, 56) * 2 - 1
    with torch.no_grad():
        torch.testing.assert_close(thin.eval()(x), wide(x), atol=1e-6, rtol=0)


def test_same_width_loads_as_it_is(tmp_path):
    path = tmp_path / "own.safetensors"
    own = create_student("shufflegen_t_038")
    save_weights(path, own, metadata={"model": "shufflegen_t_038"})
    model, note = start_student("shufflegen_t_038", str(path))
    assert note is None
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), own.state_dict().values()))


def test_narrower_or_foreign_weights_are_refused():
    thin = create_student("shufflegen_t_038").state_dict()
    with pytest.raises(CheckpointError, match="cannot narrow a 24-channel ShuffleGen to 32 channels"):
        narrow_state(thin, 32)
    with pytest.raises(CheckpointError, match="not a ShuffleGen student's"):
        narrow_state({"stem.0.weight": torch.zeros(32, 3, 4, 4)}, 24)
    forged = create_student("shufflegen_t_050").state_dict()
    forged["head.weight"] = torch.zeros(48, 16, 3, 3)  # reads 16 stream channels where the stem writes 32
    with pytest.raises(CheckpointError, match="disagree on their channel counts"):
        narrow_state(forged, 24)


def test_distill_starts_a_thin_student_from_shipped_wide_weights(tmp_path):
    from stylelite.models.registry import PRETRAINED

    r = run_cli(
        "distill", "--teacher", "cyclegan_r9_bn.cartoon", "--student", "shufflegen_t_038",
        "--init-from", str(PRETRAINED["shufflegen_t_050.cartoon"][0]), "--steps", "2", "--batch", "2",
        "--crop", "32", "--cache-size", "4", "--w-feature", "0", "-o", str(tmp_path / "r"),
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "32-channel weights narrowed to shufflegen_t_038's 24 channels" in r.stderr
    assert list((tmp_path / "r").glob("*/student.safetensors"))
