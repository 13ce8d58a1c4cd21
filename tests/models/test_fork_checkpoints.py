"""Checkpoints users are handed: forks' layouts, GPU-saved files, dropout ResNets, files that are not
checkpoints at all, whole pickled models, and `stylelite inspect` on each."""

import json
import zipfile

import pytest
import torch

from stylelite.models.checkpoints import sniff_file
from stylelite.models.cyclegan_resnet import ResnetGenerator
from stylelite.models.key_map import parse_key_map, remap_keys
from stylelite.models.load import load_model
from stylelite.models.registry import create_teacher
from stylelite.runtime.errors import CheckpointError, ConfigError
from tests.conftest import COMMITTED_STUDENT, run_cli


def _randomized(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():  # norm weights too: an affine norm must really load
            p.copy_(torch.randn(p.shape, generator=g) * 0.05 + (1.0 if p.ndim == 1 and p.shape[0] > 3 else 0.0))
    return model.eval()


def _as_if_saved_on_a_gpu(path):
    """Rewrite a torch.save zip so that every storage says it lived on cuda:0 (what a checkpoint saved
    from a GPU holds): loading it without map_location fails on a machine without CUDA."""
    with zipfile.ZipFile(path) as z:
        members = {n: z.read(n) for n in z.namelist()}
    (pkl,) = [n for n in members if n.endswith("data.pkl")]
    data = members[pkl]
    cuda = data.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0").replace(b"\x8c\x03cpu", b"\x8c\x06cuda:0")
    assert cuda != data
    members[pkl] = cuda
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for name, payload in members.items():
            z.writestr(name, payload)


@pytest.fixture(scope="module")
def fork(tmp_path_factory):
    """A real fork's ResNet-6 generator: affine InstanceNorm, dropout, blocks named `block`, wrapped in
    {"state_dict": ...} and saved from a GPU."""
    src = _randomized(ResnetGenerator(6, 64, use_dropout=True, norm="instance_affine"))
    state = {k.replace("conv_block", "block"): v for k, v in src.state_dict().items()}
    path = tmp_path_factory.mktemp("fork") / "fork_G.pth"
    torch.save({"state_dict": state, "epoch": 200}, path)
    _as_if_saved_on_a_gpu(path)
    return src, path


def test_a_gpu_saved_file_needs_map_location(fork):
    _, path = fork
    with pytest.raises(RuntimeError, match="CUDA"):
        torch.load(path, weights_only=True)  # what a loader without map_location meets on this machine


def test_a_fork_names_the_key_map_that_loads_it_and_then_loads_exactly(fork):
    src, path = fork
    with pytest.raises(
        CheckpointError, match=r"does not fit cyclegan_r6: .*; it loads with --key-map 'block=conv_block'$"
    ):
        create_teacher("cyclegan_r6", checkpoint=path)
    model = create_teacher("cyclegan_r6", checkpoint=path, key_map=parse_key_map(["block=conv_block"]))
    assert model.card.extra == {"dropout": True, "norm": "instance_affine"}  # read off the keys
    x = torch.rand(1, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        assert torch.equal(model(x), src(x))
    with pytest.raises(CheckpointError, match="it looks like cyclegan_r6 with --key-map 'block=conv_block'"):
        create_teacher("cyclegan_r9", checkpoint=path)  # the wrong depth: the error names the right one


def test_dropout_resnets_load_with_their_dropout(tmp_path):
    src = _randomized(ResnetGenerator(9, 64, use_dropout=True, norm="batch"), seed=2)  # pix2pix resnet_9blocks
    torch.save(src.state_dict(), tmp_path / "pix2pix_resnet.pth")
    model = create_teacher("cyclegan_r9_bn", checkpoint=tmp_path / "pix2pix_resnet.pth")
    assert model.card.extra["dropout"] is True and "--no_dropout" not in model.card.source
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        assert torch.equal(model(x), src(x))


def test_a_prefix_is_suggested_and_dropped(tmp_path):
    src = _randomized(ResnetGenerator(6, 64), seed=3)
    torch.save({f"netG.{k}": v for k, v in src.state_dict().items()}, tmp_path / "prefixed.pth")
    with pytest.raises(CheckpointError, match="it loads with --key-map 'netG.='"):
        create_teacher("cyclegan_r6", checkpoint=tmp_path / "prefixed.pth")
    model, _ = load_model("cyclegan_r6", tmp_path / "prefixed.pth", key_map=("netG.=",))
    assert torch.equal(model.state_dict()["model.1.weight"], src.state_dict()["model.1.weight"])


def test_key_map_rules(tmp_path):
    rules = parse_key_map(["block=conv_block", "enc.down=model"])
    state = {"model.10.block.1.weight": 1, "model.10.conv_block.1.weight": 2, "enc.down.3.bias": 3, "blocks.0": 4}
    mapped = remap_keys({k: v for k, v in state.items() if k != "model.10.conv_block.1.weight"}, rules)
    assert mapped == {"model.10.conv_block.1.weight": 1, "model.3.bias": 3, "blocks.0": 4}  # whole components only
    with pytest.raises(ConfigError, match="renames two keys to model.10.conv_block.1.weight"):
        remap_keys(state, rules)
    (tmp_path / "keys.toml").write_text('"block" = "conv_block"\n"netG." = ""\n')
    assert [str(r) for r in parse_key_map([str(tmp_path / "keys.toml")])] == ["block=conv_block", "netG.="]
    for bad in ("block", "=x", "a..b=c"):
        with pytest.raises(ConfigError, match="is not a rule; write OLD=NEW"):
            parse_key_map([bad])


@pytest.mark.parametrize(
    "name, content, kind",
    [
        ("photo.pth", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "a PNG image"),
        ("photo.pt", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "a JPEG image"),
        ("notes.pth", b"epoch 200, loss 0.1\n", "a text file"),
        ("empty.pth", b"", "an empty file"),
    ],
)
def test_files_that_are_not_checkpoints_are_named(tmp_path, name, content, kind):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=f"^{name} is not a PyTorch checkpoint \\(it looks like {kind}\\); "):
        create_teacher("cyclegan_r6", checkpoint=path)


def test_exported_graphs_are_named_with_what_to_do(tmp_path):
    net = torch.nn.Sequential(torch.nn.Conv2d(3, 3, 3, padding=1))
    torch.jit.script(net).save(str(tmp_path / "scripted.pt"))
    torch.export.save(torch.export.export(net, (torch.zeros(1, 3, 8, 8),)), str(tmp_path / "exported.pt2"))
    cases = {
        COMMITTED_STUDENT: "an ONNX model",
        tmp_path / "scripted.pt": "a TorchScript module",
        tmp_path / "exported.pt2": "a torch.export program \\(.pt2\\)",
    }
    for path, kind in cases.items():
        with pytest.raises(CheckpointError, match=f"it looks like {kind}\\); look inside with stylelite inspect"):
            create_teacher("cyclegan_r6", checkpoint=path)


def test_a_whole_pickled_model_gets_the_state_dict_recipe(tmp_path):
    torch.save(ResnetGenerator(6, 8), tmp_path / "whole.pth")
    r = run_cli("export", "cyclegan_r6", "--checkpoint", str(tmp_path / "whole.pth"), "-o", str(tmp_path / "t.onnx"))
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and "\x1b[" not in r.stderr
    assert (
        "holds a pickled Python object (stylelite.models.cyclegan_resnet.ResnetGenerator), not a state_dict" in r.stderr
    )
    assert "torch.save(model.state_dict(), 'whole_state.pth')" in r.stderr
    assert sniff_file(tmp_path / "whole.pth") == "a PyTorch checkpoint"


def test_cli_inspects_a_fork(fork):
    _, path = fork
    r = run_cli("inspect", str(path))
    assert r.returncode == 0 and "a PyTorch checkpoint" in r.stdout
    assert "loads as: cyclegan_r6 with --key-map 'block=conv_block'" in r.stdout
    info = json.loads(run_cli("inspect", str(path), "--key-map", "block=conv_block", "--json").stdout)
    assert info["fits"] == "cyclegan_r6" and "model.10.conv_block.6.weight" in info["keys"]


@pytest.mark.slow  # exports and verifies a 7.8 M-parameter teacher (~25 s); the loading itself is tested above
def test_cli_exports_a_fork_with_its_key_map(fork, tmp_path):
    _, path = fork
    out = tmp_path / "fork.onnx"
    r = run_cli("export", "cyclegan_r6", "--checkpoint", str(path), "--key-map", "block=conv_block", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert out.is_file() and "pass" in r.stdout


def test_inspect_describes_graphs(tmp_path):
    r = run_cli("inspect", str(COMMITTED_STUDENT))
    assert r.returncode == 0 and "an ONNX model" in r.stdout and "input image: tensor(float)" in r.stdout
    assert "stylelite metadata: yes" in r.stdout and "ops: Conv" in r.stdout
    r = run_cli("inspect", str(tmp_path / "missing.pth"))
    assert r.returncode == 1 and "no such file" in r.stderr


def test_cards_name_files_that_fit():
    assert "horse2zebra" not in create_teacher("cyclegan_r9_bn").card.source
    assert "horse2zebra" in create_teacher("cyclegan_r9").card.source
    unet = create_teacher("cyclegan_unet256").card.source
    assert "download_pix2pix_model" not in unet and "no released file" in unet
    assert "download_pix2pix_model" in create_teacher("pix2pix_unet256").card.source
