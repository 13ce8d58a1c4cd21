"""Open a graph file another team made (ONNX, TFLite) with its runtime, every refusal in one line.

Used by the graph teacher (models/graph_runners.py) and by `stylelite inspect`: a runtime's refusal
(protobuf that does not parse, external data pointing outside the graph's folder, an operator the
runtime does not have, a FlatBuffer that does not verify) becomes an InputError naming the file and
the reason, never a traceback. Opening runs nothing: no graph is executed here. No torch.
"""

from __future__ import annotations

import re
from pathlib import Path

from stylelite.runtime.errors import InputError

_REASONS = (  # (what the runtime says, what it means for the user)
    (r"escapes model directory|Absolute path not allowed", "its external data points outside its folder"),
    (r"External data path does not exist", "its external data file is missing"),
    (r"is not a registered function/op|No Op registered|Could not find an implementation", "it uses an operator"),
    (r"Protobuf parsing failed|INVALID_PROTOBUF", "it is not a valid ONNX protobuf"),
    (r"not a valid Flatbuffer|Model provided has model identifier", "its FlatBuffer does not verify"),
)


def first_line(exc: BaseException, limit: int = 160) -> str:
    """The first line of an exception's message, control characters removed, cut at `limit`."""
    text = re.sub(r"\x1b\[[0-9;]*m|[\x00-\x08\x0b-\x1f\x7f]", "", str(exc)).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and lines[0].startswith("The following operation failed in the TorchScript interpreter"):
        return lines[-1][:limit]  # TorchScript's own traceback; the error is its last line
    return lines[0][:limit] if lines else type(exc).__name__


def why_unopenable(exc: BaseException, runtime: str) -> str:
    """A runtime's refusal to open a file, as a reason a user can act on."""
    text = str(exc)
    for pattern, reason in _REASONS:
        if re.search(pattern, text):
            if reason == "it uses an operator":
                op = re.search(r"([\w.]+:\w+)\(-?\d+\) is not a registered", text)
                return f"it uses an operator {runtime} does not have{f' ({op.group(1)})' if op else ''}"
            where = re.search(r'External data path: "([^"]+)"', text)
            return f"{reason} ({where.group(1)!r})" if where else reason
    return first_line(exc)


def open_onnx_session(path: str | Path, providers: list[str] | None = None):
    """An onnxruntime InferenceSession of `path`; InputError (one line) when onnxruntime refuses it."""
    import onnxruntime as ort

    path = Path(path)
    try:
        return ort.InferenceSession(str(path), providers=providers or ["CPUExecutionProvider"])
    except Exception as exc:
        raise InputError(
            f"{path.name} could not be opened by onnxruntime: {why_unopenable(exc, 'onnxruntime')}"
        ) from None


def open_tflite(path: str | Path):
    """A LiteRT Interpreter of `path` with its tensors allocated; InputError (one line) when LiteRT refuses it."""
    from stylelite.runtime.errors import require

    interpreter = require("ai_edge_litert.interpreter", "litert")
    path = Path(path)
    try:
        interp = interpreter.Interpreter(model_path=str(path))
        interp.allocate_tensors()
    except Exception as exc:
        raise InputError(f"{path.name} could not be opened by LiteRT: {why_unopenable(exc, 'LiteRT')}") from None
    return interp
