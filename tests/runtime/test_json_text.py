"""JSON from edited files: nesting is bounded before json.loads can overflow the C stack."""

import sys

import pytest

from stylelite.runtime.json_text import json_depth, loads_bounded


def test_depth_ignores_brackets_inside_strings():
    assert json_depth('{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert json_depth('"\\"[[["') == 0 and json_depth("") == 0


def test_a_deep_file_is_refused_even_with_a_raised_recursion_limit():
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(1_000_000)  # what made json.loads segfault the test process (C stack overflow)
    try:
        with pytest.raises(ValueError, match="nested deeper than 64"):
            loads_bounded("[" * 200_000 + "]" * 200_000)
    finally:
        sys.setrecursionlimit(old)
    assert loads_bounded(b'{"x": [1, 2]}') == {"x": [1, 2]}
