"""JSON from files a user or an attacker may have edited, parsed with a bound on nesting.

`json.loads` recurses once per nesting level; with a raised recursion limit (torch and others raise it) a
file of 100,000 `[` overflows the C stack and kills the process instead of raising. The depth is measured
first, outside string literals, with a vectorised scan.
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

MAX_DEPTH = 64  # stylelite's own JSON files nest 4 levels at most
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def json_depth(text: str) -> int:
    """The deepest nesting of [ and { in `text`, string literals ignored."""
    bare = _STRING.sub('""', text).encode("utf-8", "surrogatepass")
    codes = np.frombuffer(bare, dtype=np.uint8)
    steps = (np.isin(codes, (ord("["), ord("{"))).astype(np.int64)) - np.isin(codes, (ord("]"), ord("}")))
    return int(np.cumsum(steps).max(initial=0))


def loads_bounded(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads`, refusing (ValueError) text nested deeper than `max_depth`."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    if json_depth(text) > max_depth:
        raise ValueError(f"JSON nested deeper than {max_depth} levels")
    return json.loads(text)
