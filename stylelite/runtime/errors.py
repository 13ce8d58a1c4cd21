"""The error hierarchy: every user-facing failure is a StyleliteError.

The CLI prints a StyleliteError as one line (its message says what to do) and exits 1;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class StyleliteError(Exception):
    """Root of every error a user can cause and fix."""


class ConfigError(StyleliteError, ValueError):
    """A configuration value is out of range or inconsistent."""


class UnknownNameError(StyleliteError, KeyError):
    """A model, engine or target name is not registered."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class CheckpointError(StyleliteError):
    """A checkpoint file is missing, unreadable or of another architecture."""


class InputError(StyleliteError):
    """An input video, image or folder is missing, empty or corrupt."""


class ExportError(StyleliteError):
    """A model could not be exported or its artifact failed verification."""


class MetadataError(StyleliteError):
    """An artifact's embedded stylelite metadata is unreadable, invalid or from a newer stylelite."""


class MissingBackendError(StyleliteError, ImportError):
    """An optional dependency (torch, onnx, ...) is not installed."""


class DeviceError(StyleliteError):
    """A benchmark target is unreachable or failed."""


class BudgetError(StyleliteError):
    """A budget file is invalid or a budget was violated."""


def require(module: str, extra: str):
    """Import an optional dependency or raise MissingBackendError naming the pip extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingBackendError(
            f"{module} is not installed; install it with: pip install 'stylelite[{extra}]'"
        ) from exc
