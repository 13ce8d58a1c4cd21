import pytest

from stylelite.models.registry import STUDENTS, TEACHERS, create_student, create_teacher
from stylelite.runtime.errors import UnknownNameError
from stylelite.runtime.registry import Registry


def test_duplicate_name_is_an_error():
    reg = Registry("thing")
    reg.add("a", 1)
    with pytest.raises(ValueError, match="registered twice"):
        reg.add("a", 2)


def test_unknown_name_suggests_close_ones():
    with pytest.raises(UnknownNameError, match="did you mean mobilegen_s_050"):
        create_student("mobilegen_s_05")


def test_unknown_weights_tag_says_how_to_pass_a_file():
    with pytest.raises(UnknownNameError, match="--checkpoint"):
        create_teacher("cyclegan_r9.horse2zebra")


def test_registries_hold_the_spine_models():
    create_student("mobilegen_s_025")  # populates the registries
    assert {"cyclegan_r9", "cyclegan_r6"} <= set(TEACHERS.names())
    assert len(STUDENTS.names()) >= 3
