"""Resolve what a user names on the command line into a model."""

from __future__ import annotations

from pathlib import Path

from runtime.errors import CheckpointError, UnknownNameError


def weights_metadata(path: str | Path) -> dict[str, str]:
    """The string metadata of a safetensors file ({} for other formats)."""
    path = Path(path)
    if path.suffix != ".safetensors" or not path.is_file():
        return {}
    from safetensors import safe_open

    try:
        with safe_open(str(path), "pt") as f:
            return dict(f.metadata() or {})
    except Exception as exc:
        raise CheckpointError(f"{path.name} is not a readable safetensors file: {exc}") from None


def load_model(spec: str, checkpoint: str | Path | None = None):
    """`spec` is a registered name (`mobilegen_s_050`, `cyclegan_r9_bn.cartoon`) or a weights file
    written by stylelite (its metadata names the architecture). Returns an eval-mode model."""
    from distill.models.registry import STUDENTS, TEACHERS, _ensure_registered, create_student, create_teacher

    _ensure_registered()
    path = Path(spec)
    if path.suffix in (".safetensors", ".pth", ".pt") or path.is_file():
        meta = weights_metadata(path)
        arch = meta.get("model") or meta.get("teacher")
        if not arch:
            raise CheckpointError(
                f"{path.name} does not say which model it holds; name the architecture and pass the "
                f"file: MODEL --checkpoint {path}"
            )
        model = load_model(arch, checkpoint=path)
        model.distilled_from = meta.get("distilled_from", "")
        return model
    arch = spec.split(".", 1)[0]
    if arch in TEACHERS:
        return create_teacher(spec, checkpoint=checkpoint)
    if arch in STUDENTS:
        return create_student(spec, checkpoint=checkpoint)
    known = TEACHERS.names() + STUDENTS.names()
    import difflib

    close = difflib.get_close_matches(arch, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownNameError(f"unknown model {spec!r}{hint} (known: {', '.join(known)})")
