"""Strict loading of checkpoints laid out like the official pytorch-CycleGAN-and-pix2pix files."""

import pytest
import torch

from stylelite.models.registry import create_teacher
from stylelite.runtime.errors import CheckpointError


def official_resnet_layout(n_blocks: int, ngf: int = 64) -> dict[str, tuple[int, ...]]:
    """Key -> shape of `latest_net_G.pth` for --netG resnet_{n}blocks --norm instance --no_dropout,
    written out from the published architecture (not from our model)."""
    keys = {
        "model.1.weight": (ngf, 3, 7, 7),
        "model.1.bias": (ngf,),
        "model.4.weight": (ngf * 2, ngf, 3, 3),
        "model.4.bias": (ngf * 2,),
        "model.7.weight": (ngf * 4, ngf * 2, 3, 3),
        "model.7.bias": (ngf * 4,),
    }
    for b in range(10, 10 + n_blocks):
        for conv in (1, 5):
            keys[f"model.{b}.conv_block.{conv}.weight"] = (ngf * 4, ngf * 4, 3, 3)
            keys[f"model.{b}.conv_block.{conv}.bias"] = (ngf * 4,)
    up1, up2, last = 10 + n_blocks, 13 + n_blocks, 17 + n_blocks
    keys |= {
        f"model.{up1}.weight": (ngf * 4, ngf * 2, 3, 3),
        f"model.{up1}.bias": (ngf * 2,),  # ConvTranspose: [in,out,k,k]
        f"model.{up2}.weight": (ngf * 2, ngf, 3, 3),
        f"model.{up2}.bias": (ngf,),
        f"model.{last}.weight": (3, ngf, 7, 7),
        f"model.{last}.bias": (3,),
    }
    return keys


def official_state(n_blocks: int, stale_norm_keys: bool = True, seed: int = 0) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    state = {k: torch.randn(shape, generator=g) * 0.05 for k, shape in official_resnet_layout(n_blocks).items()}
    if stale_norm_keys:  # what checkpoints saved by PyTorch < 0.4 carry for InstanceNorm layers
        state["model.2.running_mean"] = torch.zeros(64)
        state["model.2.running_var"] = torch.ones(64)
        state["model.10.conv_block.2.num_batches_tracked"] = torch.tensor(0)
    return state


@pytest.mark.parametrize("name,n_blocks", [("cyclegan_r9", 9), ("cyclegan_r6", 6)])
def test_official_layout_loads_strictly_and_runs(tmp_path, name, n_blocks):
    path = tmp_path / "latest_net_G.pth"
    state = official_state(n_blocks)
    torch.save(state, path)
    model = create_teacher(name, checkpoint=path)
    assert set(model.state_dict()) == set(official_resnet_layout(n_blocks))
    assert torch.equal(model.state_dict()["model.1.weight"], state["model.1.weight"])
    y = model(torch.rand(1, 3, 64, 64) * 2 - 1)
    assert y.shape == (1, 3, 64, 64) and y.abs().max() <= 1.0


def test_wrong_depth_names_the_mismatch_and_the_lookalike(tmp_path):
    path = tmp_path / "r6.pth"
    torch.save(official_state(6), path)
    with pytest.raises(CheckpointError, match=r"does not fit cyclegan_r9: \d+ missing keys.*looks like cyclegan_r6"):
        create_teacher("cyclegan_r9", checkpoint=path)


def test_wrong_width_reports_shapes(tmp_path):
    state = official_state(9)
    state["model.1.weight"] = torch.zeros(32, 3, 7, 7)
    path = tmp_path / "narrow.pth"
    torch.save(state, path)
    with pytest.raises(CheckpointError, match=r"shape mismatch.*model\.1\.weight \[32, 3, 7, 7\] vs \[64, 3, 7, 7\]"):
        create_teacher("cyclegan_r9", checkpoint=path)


def test_truncated_file_is_a_clear_error(tmp_path):
    path = tmp_path / "latest_net_G.pth"
    torch.save(official_state(9, stale_norm_keys=False), path)
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        create_teacher("cyclegan_r9", checkpoint=path)


def test_not_a_checkpoint(tmp_path):
    path = tmp_path / "notes.pth"
    path.write_text("hello")
    with pytest.raises(CheckpointError, match="notes.pth"):
        create_teacher("cyclegan_r9", checkpoint=path)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        create_teacher("cyclegan_r9", checkpoint=tmp_path / "nope.pth")


def test_pickled_code_is_refused(tmp_path):
    import pickle

    path = tmp_path / "evil.pth"
    with open(path, "wb") as f:
        pickle.dump({"model.1.weight": torch.zeros(1), "x": print}, f)
    with pytest.raises(CheckpointError):
        create_teacher("cyclegan_r9", checkpoint=path)


def test_shipped_teacher_loads():
    from stylelite.models.load import load_model

    assert load_model("cyclegan_r9_bn.cartoon").identity.weights == "cyclegan_r9_bn.cartoon"


def test_batch_norm_layout_loads(tmp_path):
    """--norm batch (pix2pix's default): convs lose their bias, norms gain weight/bias/running stats."""
    g = torch.Generator().manual_seed(1)
    state = {}
    for key, shape in official_resnet_layout(9).items():
        layer = int(key.split(".")[1])
        is_last = layer == 26
        if key.endswith(".bias") and not is_last:
            continue  # use_bias is False with batch norm, except the final conv
        state[key] = torch.randn(shape, generator=g) * 0.05
    norms = [2, 5, 8, 20, 23] + [f"{b}.conv_block.{i}" for b in range(10, 19) for i in (2, 6)]
    widths = {2: 64, 5: 128, 8: 256, 20: 128, 23: 64}
    for n in norms:
        c = widths.get(n, 256)
        state |= {
            f"model.{n}.weight": torch.ones(c),
            f"model.{n}.bias": torch.zeros(c),
            f"model.{n}.running_mean": torch.zeros(c),
            f"model.{n}.running_var": torch.ones(c),
            f"model.{n}.num_batches_tracked": torch.tensor(10),
        }
    path = tmp_path / "pix2pix_resnet9_batch.pth"
    torch.save(state, path)
    model = create_teacher("cyclegan_r9_bn", checkpoint=path)
    assert torch.equal(model.state_dict()["model.26.bias"], state["model.26.bias"])
    with pytest.raises(CheckpointError, match="looks like cyclegan_r9_bn"):
        create_teacher("cyclegan_r9", checkpoint=path)


def test_patchgan_discriminator_matches_the_official_layout():
    """`--netD basic` (70x70 PatchGAN, n_layers=3, --norm instance): CycleGAN's latest_net_D_A.pth."""
    from stylelite.models.patchgan import NLayerDiscriminator

    official = {
        "model.0.weight": (64, 3, 4, 4),
        "model.0.bias": (64,),
        "model.2.weight": (128, 64, 4, 4),
        "model.2.bias": (128,),
        "model.5.weight": (256, 128, 4, 4),
        "model.5.bias": (256,),
        "model.8.weight": (512, 256, 4, 4),
        "model.8.bias": (512,),
        "model.11.weight": (1, 512, 4, 4),
        "model.11.bias": (1,),
    }
    d = NLayerDiscriminator(input_nc=3)
    assert {k: tuple(v.shape) for k, v in d.state_dict().items()} == official
    d.load_state_dict({k: torch.zeros(s) for k, s in official.items()}, strict=True)
    assert d(torch.zeros(1, 3, 256, 256)).shape == (1, 1, 30, 30)  # 30x30 patches of 70x70 pixels
