"""The U-Net, fast-neural-style and AnimeGANv2 teachers load their official checkpoints strictly.

Each layout below is written out from the upstream definition (pytorch-CycleGAN-and-pix2pix
models/networks.py, pytorch/examples fast_neural_style/neural_style/transformer_net.py,
bryandlee/animegan2-pytorch model.py), not derived from our models.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from stylelite.models.checkpoints import drop_stale_norm_stats, guess_architecture
from stylelite.models.registry import TEACHERS, all_models, create_teacher
from stylelite.models.tensors import run_model
from stylelite.runtime.errors import CheckpointError

torch.set_num_threads(1)
NEW_TEACHERS = ("pix2pix_unet256", "pix2pix_unet128", "cyclegan_unet256", "fast_neural_style", "animegan2")

# ---------------------------------------------------------------- layouts written out from upstream


def official_unet_layout(num_downs: int, norm: str, ngf: int = 64) -> dict[str, tuple[int, ...]]:
    """Key -> shape of latest_net_G.pth for --netG unet_{2**num_downs} --norm {norm}.

    Upstream nests UnetSkipConnectionBlocks: the outermost is `model.model` (0 down conv, 1 inner
    block, 3 up conv with bias); block k below it sits at model.model.1(.model.3)*(k-1) with
    0 LeakyReLU, 1 down conv, 2 norm, 3 inner block, 5 up conv, 6 norm; the innermost has 1 down
    conv, 3 up conv, 4 norm. use_bias = (norm is InstanceNorm); InstanceNorm has no affine params.
    """
    bias = norm == "instance"
    keys: dict[str, tuple[int, ...]] = {}

    def conv(prefix: str, shape: tuple[int, ...], out_ch: int, with_bias: bool = bias) -> None:
        keys[f"{prefix}.weight"] = shape
        if with_bias:
            keys[f"{prefix}.bias"] = (out_ch,)

    def norm_layer(prefix: str, ch: int) -> None:
        if norm == "batch":
            keys.update({f"{prefix}.{p}": (ch,) for p in ("weight", "bias", "running_mean", "running_var")})
            keys[f"{prefix}.num_batches_tracked"] = ()

    conv("model.model.0", (ngf, 3, 4, 4), ngf)
    conv("model.model.3", (ngf * 2, 3, 4, 4), 3, with_bias=True)  # ConvTranspose: [in,out,k,k]
    # (outer_nc, inner_nc) of the blocks below the outermost, outermost first
    blocks = [(ngf, ngf * 2), (ngf * 2, ngf * 4), (ngf * 4, ngf * 8)] + [(ngf * 8, ngf * 8)] * (num_downs - 4)
    for k, (outer, inner) in enumerate(blocks, start=1):
        p = "model.model.1" + ".model.3" * (k - 1)
        conv(f"{p}.model.1", (inner, outer, 4, 4), inner)
        if k == num_downs - 1:  # innermost
            conv(f"{p}.model.3", (inner, outer, 4, 4), outer)
            norm_layer(f"{p}.model.4", outer)
        else:
            norm_layer(f"{p}.model.2", inner)
            conv(f"{p}.model.5", (inner * 2, outer, 4, 4), outer)
            norm_layer(f"{p}.model.6", outer)
    return keys


def official_fns_layout() -> dict[str, tuple[int, ...]]:
    """Key -> shape of pytorch/examples' candy.pth etc. (TransformerNet), without the stale stats."""
    keys: dict[str, tuple[int, ...]] = {}

    def conv(name: str, cin: int, cout: int, k: int) -> None:
        keys[f"{name}.conv2d.weight"] = (cout, cin, k, k)
        keys[f"{name}.conv2d.bias"] = (cout,)

    def inorm(name: str, ch: int) -> None:
        keys[f"{name}.weight"] = (ch,)
        keys[f"{name}.bias"] = (ch,)

    conv("conv1", 3, 32, 9), inorm("in1", 32)
    conv("conv2", 32, 64, 3), inorm("in2", 64)
    conv("conv3", 64, 128, 3), inorm("in3", 128)
    for r in range(1, 6):
        conv(f"res{r}.conv1", 128, 128, 3), inorm(f"res{r}.in1", 128)
        conv(f"res{r}.conv2", 128, 128, 3), inorm(f"res{r}.in2", 128)
    conv("deconv1", 128, 64, 3), inorm("in4", 64)
    conv("deconv2", 64, 32, 3), inorm("in5", 32)
    conv("deconv3", 32, 3, 9)
    return keys


FNS_NORMS = ["in1", "in2", "in3", "in4", "in5"] + [f"res{r}.in{i}" for r in range(1, 6) for i in (1, 2)]


def official_animegan_layout() -> dict[str, tuple[int, ...]]:
    """Key -> shape of animegan2-pytorch's face_paint_512_v2.pt etc. (Generator)."""
    keys: dict[str, tuple[int, ...]] = {}

    def cnl(p: str, cin: int, cout: int, k: int = 3, groups: int = 1, bias: bool = False) -> None:
        # ConvNormLReLU: 0 pad, 1 conv, 2 GroupNorm(1, cout), 3 LeakyReLU
        keys[f"{p}.1.weight"] = (cout, cin // groups, k, k)
        if bias:
            keys[f"{p}.1.bias"] = (cout,)
        keys[f"{p}.2.weight"] = (cout,)
        keys[f"{p}.2.bias"] = (cout,)

    def inverted_res(p: str, cin: int, cout: int) -> None:
        mid = cin * 2
        cnl(f"{p}.layers.0", cin, mid, k=1)
        cnl(f"{p}.layers.1", mid, mid, groups=mid, bias=True)
        keys[f"{p}.layers.2.weight"] = (cout, mid, 1, 1)
        keys[f"{p}.layers.3.weight"] = (cout,)
        keys[f"{p}.layers.3.bias"] = (cout,)

    cnl("block_a.0", 3, 32, k=7), cnl("block_a.1", 32, 64), cnl("block_a.2", 64, 64)
    cnl("block_b.0", 64, 128), cnl("block_b.1", 128, 128)
    cnl("block_c.0", 128, 128)
    inverted_res("block_c.1", 128, 256)
    for i in (2, 3, 4):
        inverted_res(f"block_c.{i}", 256, 256)
    cnl("block_c.5", 256, 128)
    cnl("block_d.0", 128, 128), cnl("block_d.1", 128, 128)
    cnl("block_e.0", 128, 64), cnl("block_e.1", 64, 64), cnl("block_e.2", 64, 32, k=7)
    keys["out_layer.0.weight"] = (3, 32, 1, 1)
    return keys


def random_state(layout: dict[str, tuple[int, ...]], seed: int = 0) -> dict[str, torch.Tensor]:
    """Plausible weights: small convs, unit norms, running stats near (0, 1), counters as long."""
    g = torch.Generator().manual_seed(seed)
    state = {}
    for k, shape in layout.items():
        if k.endswith("num_batches_tracked"):
            state[k] = torch.tensor(100)
        elif k.endswith("running_var"):
            state[k] = 1 + torch.rand(shape, generator=g)
        elif len(shape) == 1 and k.endswith(".weight"):  # norm scale
            state[k] = 1 + 0.1 * torch.randn(shape, generator=g)
        else:
            state[k] = 0.05 * torch.randn(shape, generator=g)
    return state


def save(tmp_path, name: str, state: dict[str, torch.Tensor]):
    path = tmp_path / name
    torch.save(state, path)
    return path


# ---------------------------------------------------------------- U-Net


@pytest.mark.parametrize(
    "name,num_downs,norm",
    [("pix2pix_unet256", 8, "batch"), ("pix2pix_unet128", 7, "batch"), ("cyclegan_unet256", 8, "instance")],
)
def test_unet_layout_loads_strictly_and_runs(tmp_path, name, num_downs, norm):
    layout = official_unet_layout(num_downs, norm)
    state = random_state(layout)
    model = create_teacher(name, checkpoint=save(tmp_path, "latest_net_G.pth", state))
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == layout
    assert torch.equal(model.state_dict()["model.model.3.bias"], state["model.model.3.bias"])
    size = 2**num_downs
    assert model.card.stride == size and model.card.input_range == (-1.0, 1.0)
    y = model(torch.rand(1, 3, size, size) * 2 - 1)
    assert y.shape == (1, 3, size, size) and torch.isfinite(y).all() and y.abs().max() <= 1.0


def test_pix2pix_unet256_has_the_published_parameter_count():
    """pix2pix prints 'Total number of parameters : 54.414 M' for its default generator."""
    layout = official_unet_layout(8, "batch")
    params = sum(
        int(np.prod(s)) for k, s in layout.items() if not k.endswith(("running_mean", "running_var", "_tracked"))
    )
    assert params == 54_413_955
    assert sum(p.numel() for p in create_teacher("pix2pix_unet256").parameters()) == params


def upstream_unet_forward(state: dict[str, torch.Tensor], x: torch.Tensor, num_downs: int) -> torch.Tensor:
    """Upstream UnetSkipConnectionBlock.forward in eval mode, in-place LeakyReLU included: it
    rewrites the block input that torch.cat([x, self.model(x)]) then concatenates."""

    def bn(h, p):
        return F.batch_norm(
            h, state[f"{p}.running_mean"], state[f"{p}.running_var"], state[f"{p}.weight"], state[f"{p}.bias"]
        )

    def up(h, p):
        return F.conv_transpose2d(h, state[f"{p}.weight"], state.get(f"{p}.bias"), stride=2, padding=1)

    def block(k, x):
        p = "model.model.1" + ".model.3" * (k - 1)
        h = F.conv2d(F.leaky_relu(x, 0.2, inplace=True), state[f"{p}.model.1.weight"], stride=2, padding=1)
        if k == num_downs - 1:
            h = bn(up(F.relu(h), f"{p}.model.3"), f"{p}.model.4")
        else:
            h = bn(up(F.relu(block(k + 1, bn(h, f"{p}.model.2"))), f"{p}.model.5"), f"{p}.model.6")
        return torch.cat([x, h], 1)

    h = F.conv2d(x, state["model.model.0.weight"], stride=2, padding=1)
    return torch.tanh(up(F.relu(block(1, h)), "model.model.3"))


def test_unet_matches_upstream_forward_including_its_in_place_skip(tmp_path):
    state = random_state(official_unet_layout(7, "batch"), seed=3)
    model = create_teacher("pix2pix_unet128", checkpoint=save(tmp_path, "unet128.pth", state))
    x = torch.rand(1, 3, 128, 128) * 2 - 1
    with torch.no_grad():
        ours, ref = model(x), upstream_unet_forward(state, x.clone(), 7)
    torch.testing.assert_close(ours, ref, atol=1e-5, rtol=1e-4)


def test_unet_legacy_files_load(tmp_path):
    """Files from before PyTorch 0.4.1 lack num_batches_tracked; 2018's instance-norm files carry
    running stats (upstream then used track_running_stats=True) that upstream deletes on load."""
    state = random_state(official_unet_layout(7, "batch"))
    state = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
    model = create_teacher("pix2pix_unet128", checkpoint=save(tmp_path, "old_pix2pix.pth", state))
    assert int(model.state_dict()["model.model.1.model.2.num_batches_tracked"]) == 0

    state = random_state(official_unet_layout(8, "instance"))
    state["model.model.1.model.2.running_mean"] = torch.zeros(128)
    state["model.model.1.model.2.running_var"] = torch.ones(128)
    state["model.model.1.model.2.num_batches_tracked"] = torch.tensor(0)
    create_teacher("cyclegan_unet256", checkpoint=save(tmp_path, "old_cyclegan.pth", state))


def test_unet_of_another_depth_or_norm_is_named(tmp_path):
    path = save(tmp_path, "unet128.pth", random_state(official_unet_layout(7, "batch")))
    with pytest.raises(CheckpointError, match=r"does not fit pix2pix_unet256: .*looks like pix2pix_unet128"):
        create_teacher("pix2pix_unet256", checkpoint=path)
    path = save(tmp_path, "unet256_in.pth", random_state(official_unet_layout(8, "instance")))
    with pytest.raises(CheckpointError, match="looks like cyclegan_unet256"):
        create_teacher("pix2pix_unet256", checkpoint=path)
    path = save(tmp_path, "unet64.pth", random_state(official_unet_layout(6, "batch", ngf=8)))
    with pytest.raises(CheckpointError, match=r"U-Net generator with num_downs=6 \(unet_64\), ngf=8, --norm batch"):
        create_teacher("pix2pix_unet128", checkpoint=path)


# ---------------------------------------------------------------- fast neural style


def fns_released_state(seed: int = 0) -> dict[str, torch.Tensor]:
    """Like candy.pth: the weights plus the stale InstanceNorm running stats upstream deletes."""
    state = random_state(official_fns_layout(), seed)
    # a real style's last conv spreads its output over [0, 255]
    state["deconv3.conv2d.weight"] *= 30
    state["deconv3.conv2d.bias"] = torch.full((3,), 128.0)
    for n in FNS_NORMS:
        ch = state[f"{n}.weight"].shape[0]
        state[f"{n}.running_mean"] = torch.zeros(ch)
        state[f"{n}.running_var"] = torch.ones(ch)
    return state


def test_fast_neural_style_drops_stale_stats_and_loads(tmp_path):
    state = fns_released_state()
    model = create_teacher("fast_neural_style", checkpoint=save(tmp_path, "candy.pth", state))
    kept = drop_stale_norm_stats(model, state)
    assert set(kept) == set(official_fns_layout())  # exactly the running_* keys went
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == official_fns_layout()
    assert model.card.input_range == (0.0, 255.0) and model.card.output_range == (0.0, 255.0)
    x = torch.rand(1, 3, 64, 64) * 255
    with torch.no_grad():
        y = model(x)
    assert y.shape == (1, 3, 64, 64) and torch.isfinite(y).all()
    assert 0 < y.mean() < 255 and y.std() > 5  # pixels, not [-1, 1]


def test_run_model_feeds_and_reads_the_card_ranges(tmp_path):
    model = create_teacher("fast_neural_style", checkpoint=save(tmp_path, "candy.pth", fns_released_state()))
    seen = []
    model.register_forward_pre_hook(lambda _m, inp: seen.append(inp[0]))
    frame = np.random.default_rng(0).integers(0, 256, (30, 42, 3), dtype=np.uint8)
    out = run_model(model, frame)
    assert out.shape == frame.shape and out.dtype == np.uint8
    assert seen[0].shape == (1, 3, 32, 44)  # padded to stride 4
    assert torch.equal(seen[0][0, :, :30, :42], torch.from_numpy(frame).permute(2, 0, 1).float())
    with torch.no_grad():
        direct = model(seen[0])[0, :, :30, :42].clamp(0, 255).round().permute(1, 2, 0).to(torch.uint8).numpy()
    np.testing.assert_array_equal(out, direct)


# ---------------------------------------------------------------- AnimeGANv2


def test_animegan2_align_false_is_the_ports_test_py_default(tmp_path):
    path = save(tmp_path, "paprika.pt", random_state(official_animegan_layout()))
    aligned = create_teacher("animegan2", checkpoint=path).eval()
    unaligned = create_teacher("animegan2_align_false", checkpoint=path).eval()  # the same file loads
    x = torch.rand(1, 3, 64, 96) * 2 - 1
    with torch.no_grad():  # test.py --upsample_align False: x2 bilinear, align_corners=False, written out
        out = unaligned.block_c(unaligned.block_b(unaligned.block_a(x)))
        out = unaligned.block_d(F.interpolate(out, scale_factor=2, mode="bilinear", align_corners=False))
        out = unaligned.block_e(F.interpolate(out, scale_factor=2, mode="bilinear", align_corners=False))
        assert torch.equal(unaligned(x), unaligned.out_layer(out))
        assert float((aligned(x) - unaligned(x)).abs().max()) > 1e-3  # a real sub-pixel difference


def test_animegan2_layout_loads_strictly_and_runs(tmp_path):
    state = random_state(official_animegan_layout())
    model = create_teacher("animegan2", checkpoint=save(tmp_path, "face_paint_512_v2.pt", state))
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == official_animegan_layout()
    for hw in [(64, 64), (48, 80)]:
        y = model(torch.rand(1, 3, *hw) * 2 - 1)
        assert y.shape == (1, 3, *hw) and torch.isfinite(y).all() and y.abs().max() <= 1.0


# ---------------------------------------------------------------- across families


def test_wrong_family_names_the_lookalike(tmp_path):
    anime = save(tmp_path, "paprika.pt", random_state(official_animegan_layout()))
    with pytest.raises(CheckpointError, match="does not fit fast_neural_style: .*looks like animegan2"):
        create_teacher("fast_neural_style", checkpoint=anime)
    candy = save(tmp_path, "candy.pth", fns_released_state())
    with pytest.raises(CheckpointError, match="looks like fast_neural_style"):
        create_teacher("animegan2", checkpoint=candy)
    with pytest.raises(CheckpointError, match="looks like animegan2"):
        create_teacher("cyclegan_unet256", checkpoint=anime)


def test_variants_of_a_family_get_a_family_hint():
    fns = {k: torch.zeros(s) for k, s in official_fns_layout().items() if not k.startswith("res5.")}
    assert "fast-neural-style TransformerNet" in guess_architecture(fns, all_models())
    anime = {k: torch.zeros(s) for k, s in official_animegan_layout().items() if not k.startswith("block_d.1.")}
    assert "AnimeGAN generator" in guess_architecture(anime, all_models())


def test_new_teachers_are_registered_build_on_meta_and_tap():
    for name in NEW_TEACHERS:
        with torch.device("meta"):
            model = TEACHERS.get(name)()
        assert {"down", "mid", "deep"} <= set(model.feature_taps)
        modules = dict(model.named_modules())
        assert all(path in modules for path in model.feature_taps.values())
        assert model.card.name == name and model.card.source and model.card.license


def test_taps_run_at_the_smallest_size():
    channels = create_teacher("pix2pix_unet256").tap_channels()  # runs at one stride: 256x256
    assert channels == {"down": 128, "mid": 512, "deep": 128}


@pytest.mark.parametrize("name,layout", [("fast_neural_style", None), ("animegan2", official_animegan_layout)])
def test_onnx_export_matches_torch(tmp_path, name, layout):
    from stylelite.export.api import export_model

    state = fns_released_state() if layout is None else random_state(layout())
    if layout is not None:
        state["out_layer.0.weight"] *= 10  # spread the tanh output over its range
    ckpt = save(tmp_path, f"{name}.pth", state)
    res = export_model(name, tmp_path / f"{name}.onnx", checkpoint=ckpt)
    assert res.verification.passed, res.verification
    assert res.metadata.input_range == create_teacher(name).card.input_range


@pytest.mark.slow
def test_unet_onnx_export_matches_torch(tmp_path):
    """Slow (a 170 MB artifact): a U-Net verifies too; the runtime pads 180x244 up to its stride, 128."""
    from stylelite.export.api import export_model

    state = random_state(official_unet_layout(7, "batch"))
    state["model.model.3.weight"] *= 10  # spread the tanh output over its range
    res = export_model("pix2pix_unet128", tmp_path / "unet.onnx", checkpoint=save(tmp_path, "unet.pth", state))
    assert res.verification.passed and res.metadata.stride == 128
