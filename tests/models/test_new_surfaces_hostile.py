"""Packaged teachers named as a hostile user names them (models/packaged.py, models/registry.py)."""

from __future__ import annotations

import pytest

from stylelite.models.registry import PACKAGED, resolve_packaged
from stylelite.runtime.errors import UnknownNameError


def test_a_style_left_out_after_the_dot_is_refused_not_read_as_the_first_style():
    assert "multistyle26.magenta" in PACKAGED
    with pytest.raises(
        UnknownNameError, match=r"ends with '\.': add a style \(style_00 \.\. style_25\) or drop the dot"
    ):
        resolve_packaged("multistyle26.magenta.")
    assert resolve_packaged("multistyle26.magenta")[1] == ""  # the name without a style stays valid
    assert resolve_packaged("multistyle26.magenta.style_07")[1] == "style_07"


@pytest.mark.parametrize("style", ["style_99", "style_-1", "STYLE_00", "../x", "style_00/../../etc"])
def test_an_unknown_style_lists_the_styles(style):
    entry, got = resolve_packaged(f"multistyle26.magenta.{style}") or (None, None)
    if entry is None:  # a dot inside the style splits the name elsewhere: not a packaged name at all
        return
    with pytest.raises(UnknownNameError, match="unknown style .* it has style_00, style_01"):
        entry._style_index(got)
