"""PyTorch -> ONNX, with dynamic H/W and stylelite metadata embedded."""

from __future__ import annotations

import dataclasses
import io
import logging
import warnings
from pathlib import Path

import torch
from torch import nn

from stylelite.runtime.errors import ExportError
from stylelite.runtime.files import atomic_path
from stylelite.runtime.metadata import ArtifactMetadata


def torch_to_onnx(
    model: nn.Module,
    output: str | Path,
    meta: ArtifactMetadata,
    sample_size: int | tuple[int, int] = 256,
    dynamic: bool = True,
    dynamo: bool = False,
    opset: int = 17,
) -> Path:
    """Export `model` (eval mode, fp32) to `output` atomically; returns the path.

    dynamo=False uses the TorchScript exporter (0.4 s, opset 17); dynamo=True the
    torch.export path (slower, opset >= 18). Both give dynamic H/W when `dynamic`. When `meta.styles`
    is non-empty the model is style-conditioned and the graph takes its style inputs too (see
    models/styled.py). When `meta.recurrent` names an input (`prev_output`) the model is
    recurrent and the graph takes its previous output as that second [1,3,H,W] input (models/recurrent.py).
    """
    import onnx

    output = Path(output)
    # Export the model itself: wrapping it in another module made the TorchScript exporter
    # mistrace MobileGen (found by verification). Python-side padding in forward() is not
    # taken at the traced size, so the graph is the core network with dynamic H/W. Style-conditioned
    # models need the StyledGraph wrapper to reach forward_styled; verification checks them too.
    core = model.eval().float()
    width, height = (sample_size, sample_size) if isinstance(sample_size, int) else sample_size
    args: tuple = (torch.zeros(1, 3, height, width),)
    names = ["image"]
    if meta.styles:
        from stylelite.models.styled import StyledGraph, example_style_inputs
        from stylelite.runtime.style_control import STRENGTH_INPUT, STYLE_WEIGHTS_INPUT

        core = StyledGraph(core).eval()
        args += example_style_inputs(len(meta.styles))
        names += [STYLE_WEIGHTS_INPUT, STRENGTH_INPUT]
    recurrent = meta.recurrent  # recurrent models: the previous output is a second image input
    if recurrent:
        args += (torch.zeros(1, 3, height, width),)
        names += [recurrent]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            logging.getLogger("torch.onnx").setLevel(logging.ERROR)
            export = _export_dynamo if dynamo else _export_torchscript
            proto = export(core, args, names, recurrent, dynamic, opset)
    except Exception as exc:
        raise ExportError(f"ONNX export of {meta.model} failed: {str(exc).splitlines()[0][:300]}") from exc
    if not dynamic:
        meta = dataclasses.replace(meta, height=height, width=width)
    embed_metadata(proto, meta)
    try:
        onnx.checker.check_model(proto)
    except onnx.checker.ValidationError as exc:
        raise ExportError(f"exported graph of {meta.model} is invalid: {str(exc).splitlines()[0]}") from None
    with atomic_path(output) as tmp:
        onnx.save(proto, str(tmp))
    return output


def _export_dynamo(core: nn.Module, args: tuple, names: list[str], recurrent, dynamic: bool, opset: int):
    """The torch.export-based exporter (opset >= 18); dynamic H/W on the image-shaped inputs."""
    hw = {2: torch.export.Dim.DYNAMIC, 3: torch.export.Dim.DYNAMIC}
    shapes = tuple(hw if n in ("image", recurrent) else None for n in names) if dynamic else None
    prog = torch.onnx.export(
        core,
        args,
        None,
        input_names=names,
        output_names=["stylized"],
        dynamic_shapes=shapes,
        dynamo=True,
        opset_version=max(opset, 18),
        external_data=False,
        verbose=False,
    )
    return prog.model_proto


def _export_torchscript(core: nn.Module, args: tuple, names: list[str], recurrent, dynamic: bool, opset: int):
    """The TorchScript exporter; dynamic H/W named height/width on the image-shaped inputs and the output."""
    import onnx

    hw_names = ["image", "stylized"] + ([recurrent] if recurrent else [])
    axes = {n: {2: "height", 3: "width"} for n in hw_names} if dynamic else None
    buf = io.BytesIO()
    torch.onnx.export(
        core,
        args,
        buf,
        input_names=names,
        output_names=["stylized"],
        dynamic_axes=axes,
        opset_version=opset,
        dynamo=False,
        do_constant_folding=True,
    )
    return onnx.load_from_string(buf.getvalue())


def embed_metadata(proto, meta: ArtifactMetadata) -> None:
    """Write `meta` into the ModelProto's metadata_props, replacing any stylelite entries there."""
    from stylelite.runtime.metadata import METADATA_KEY

    keep = [(e.key, e.value) for e in proto.metadata_props if not e.key.startswith(METADATA_KEY)]
    del proto.metadata_props[:]
    for key, value in keep + list(meta.as_props().items()):
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    proto.producer_name = "stylelite"
    proto.doc_string = f"stylelite {meta.model} ({meta.weights}), {meta.precision}"
