"""The artifact metadata of a loaded model: what export embeds and the torch engine reports."""

from __future__ import annotations

from torch import nn

from stylelite.models.identity import ModelIdentity
from stylelite.models.profile import count_macs, count_params
from stylelite.runtime.metadata import ArtifactMetadata


def model_metadata(model: nn.Module, identity: ModelIdentity, size: tuple[int, int] | None = None) -> ArtifactMetadata:
    """The fp32 metadata of `model`.

    Args:
        model: the loaded model (counted for params and MACs).
        identity: what it is (load_model's second value).
        size: the fixed input (width, height), or None for dynamic H and W.
    """
    return ArtifactMetadata(
        model=identity.name,
        weights=identity.weights,
        teacher=identity.teacher,
        family=identity.family,
        precision="fp32",
        input_range=identity.input_range,
        output_range=identity.output_range,
        layout=identity.layout,
        color=identity.color,
        stride=identity.stride,
        height=size[1] if size else None,
        width=size[0] if size else None,
        styles=identity.styles,
        recurrent=identity.recurrent,
        params=count_params(model),
        gmacs_256=round(count_macs(model, 256, 256) / 1e9, 4),
        qat=identity.qat,
        license=identity.license,
        exported_by=stylelite_version(),
    )


def stylelite_version() -> str:
    import importlib.metadata

    try:
        return "stylelite " + importlib.metadata.version("stylelite")
    except importlib.metadata.PackageNotFoundError:
        return "stylelite (source)"
