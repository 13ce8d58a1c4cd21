"""Every registered teacher can be handed to `distill` and yields a student (random weights,
tiny crops: this checks the plumbing — input ranges, strides, feature taps — not quality)."""

import pytest

from stylelite.distill.distiller import distill
from stylelite.models.load import load_model
from stylelite.models.registry import TEACHERS
from stylelite.runtime.video import write_image
from tests.conftest import make_photo


@pytest.fixture(scope="module")
def photos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    write_image(folder / "a.png", make_photo(80, 96))
    return str(folder)


@pytest.mark.parametrize("teacher", TEACHERS.names())
def test_teacher_distils_into_a_student(teacher, photos, tmp_path):
    run = distill(
        teacher,
        "mobilegen_s_025",
        out=tmp_path,
        progress=False,
        data=(photos,),
        steps=2,
        batch=2,
        crop=96,  # a 256-stride U-Net pads a crop of 88 px or more
        cache_size=2,
        temporal_batch=1,
        random_teacher=True,
    )
    student = load_model(str(run / "student.safetensors")).identity
    assert student.name == "mobilegen_s_025" and student.teacher == teacher


def test_too_small_crop_for_a_unet_says_the_minimum(photos, tmp_path):
    from stylelite.runtime.errors import ConfigError

    with pytest.raises(ConfigError, match=r"--crop 48 is too small .* use --crop 88"):
        distill("pix2pix_unet256", "mobilegen_s_025", out=tmp_path, progress=False, data=(photos,), crop=48,
                steps=1, batch=1, cache_size=1, random_teacher=True)  # fmt: skip
    assert not list(tmp_path.iterdir())  # no run folder is left behind
