"""`stylelite inspect FILE`: what a checkpoint or an exported graph holds, and what it would load as.

Checkpoints are read as `load_model` reads them (weights_only, containers unwrapped, `--key-map`
applied) and matched against every registered model, variants and key renames included. ONNX and
TFLite files are opened by their runtimes (inputs, outputs, stylelite metadata; ONNX op counts when
the `onnx` package is installed). Nothing is unpickled and no graph is run.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

from stylelite.runtime.errors import CheckpointError


def inspect_file(path: str | Path, key_map: tuple = ()) -> dict:
    """A JSON-ready description of `path` (see `format_inspection`)."""
    from stylelite.models.checkpoints import FILE_KINDS, WEIGHT_KINDS, sniff_kind

    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder: give a file (a checkpoint or an exported graph)")
    if not path.is_file():
        raise CheckpointError(f"no such file: {path}")
    kind = sniff_kind(path)
    out = {"file": str(path), "kind": FILE_KINDS[kind], "size_mb": round(path.stat().st_size / 1e6, 2)}
    if kind in WEIGHT_KINDS:
        out.update(_checkpoint(path, key_map))
    elif kind == "onnx":
        out.update(_onnx(path))
    elif kind == "tflite":
        out.update(_tflite(path))
    elif kind in ("torchscript", "pt2", "zip"):
        import zipfile

        with zipfile.ZipFile(path) as z:
            out["members"] = z.namelist()[:20]
        if kind != "zip":
            out["note"] = (
                "a program (inspect runs nothing): it runs its author's code, so stylelite runs it only as a "
                "distill teacher given with --trust-graph-code"
            )
    return out


def _checkpoint(path: Path, key_map: tuple) -> dict:
    from stylelite.models.checkpoints import guess_architecture, read_state_dict
    from stylelite.models.key_map import parse_key_map
    from stylelite.models.load import weights_metadata
    from stylelite.models.registry import all_models

    rules = parse_key_map(list(key_map))
    state = read_state_dict(path, rules)
    dtypes = Counter(str(v.dtype).removeprefix("torch.") for v in state.values())
    params = sum(v.numel() for v in state.values() if v.is_floating_point())
    return {
        "tensors": len(state),
        "parameters": params,
        "dtypes": dict(dtypes),
        "keys": {k: list(v.shape) for k, v in state.items()},
        "stylelite": weights_metadata(path),
        "fits": guess_architecture(state, all_models()),
    }


def _onnx(path: Path) -> dict:
    from stylelite.models.graph_files import open_onnx_session
    from stylelite.runtime.metadata import METADATA_KEY

    sess = open_onnx_session(path)  # opened, never run; a refusal is one line
    meta = sess.get_modelmeta()
    out = {
        "inputs": [{"name": i.name, "shape": i.shape, "type": i.type} for i in sess.get_inputs()],
        "outputs": [{"name": o.name, "shape": o.shape, "type": o.type} for o in sess.get_outputs()],
        "producer": f"{meta.producer_name} {meta.version}".strip(),
        "stylelite": METADATA_KEY in (meta.custom_metadata_map or {}),
    }
    if out["stylelite"]:
        out.update(_artifact(meta.custom_metadata_map[METADATA_KEY], path.name))
    try:
        import onnx
    except ImportError:  # the torch-free runtime install: no op counts
        return out
    model = onnx.load(str(path), load_external_data=False)
    out["opset"] = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    out["ops"] = dict(Counter(n.op_type for n in model.graph.node).most_common())
    out["parameters"] = sum(math.prod(t.dims) for t in model.graph.initializer)
    return out


def _tflite(path: Path) -> dict:
    from stylelite.runtime.tflite_file import STYLELITE_METADATA, metadata_entries

    entries = metadata_entries(path)
    stylelite = STYLELITE_METADATA in entries
    described = _artifact(entries[STYLELITE_METADATA], path.name) if stylelite else {}
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return {"stylelite": stylelite, **described, "note": "install the litert extra to list its inputs and outputs"}
    from stylelite.models.graph_files import open_tflite

    interp = open_tflite(path)  # opened, never run; a refusal is one line

    def io(details: list[dict]) -> list[dict]:
        return [
            {"name": d["name"], "shape": [int(v) for v in d["shape"]], "type": d["dtype"].__name__} for d in details
        ]

    return {
        "inputs": io(interp.get_input_details()),
        "outputs": io(interp.get_output_details()),
        "stylelite": stylelite,
        **described,
    }


def _artifact(text: str | bytes, name: str) -> dict:
    """What an export's stylelite metadata says of it: {"artifact": {...}}, or {"metadata_problem": why} when
    it is unreadable (inspect describes such a file rather than refusing it; run and bench refuse it)."""
    from stylelite.runtime.errors import MetadataError
    from stylelite.runtime.metadata import ArtifactMetadata

    try:
        meta = ArtifactMetadata.from_json(text, source=name)
    except MetadataError as exc:
        return {"metadata_problem": str(exc)}
    size = f"{meta.width}x{meta.height}" if meta.fixed_size else f"any size, multiples of {meta.stride}"
    return {
        "artifact": {
            "model": meta.model,
            "weights": meta.weights,
            "precision": meta.precision,
            "size": size,
            "styles": list(meta.styles),
        }
    }


def format_inspection(info: dict, max_keys: int = 12) -> str:
    """The description as a person reads it: what the file is, its I/O or keys, what it fits."""
    lines = [f"{Path(info['file']).name}: {info['kind']}, {info['size_mb']:.2f} MB"]
    if "keys" in info:
        dtypes = ", ".join(f"{k} x{v}" for k, v in info["dtypes"].items())
        lines.append(f"  {info['tensors']} tensors, {info['parameters'] / 1e6:.2f} M parameters ({dtypes})")
        meta = info["stylelite"]
        if meta.get("model") or meta.get("teacher"):
            lines.append(f"  stylelite weights of {meta.get('model') or meta.get('teacher')}")
        for k, shape in list(info["keys"].items())[:max_keys]:
            lines.append(f"    {k} {shape}")
        if len(info["keys"]) > max_keys:
            lines.append(f"    ... {len(info['keys']) - max_keys} more (--json lists them all)")
        fits = info["fits"]
        lines.append(f"  loads as: {fits}" if fits else "  fits no registered model (stylelite list teachers --cards)")
    for side in ("inputs", "outputs"):
        for t in info.get(side, []):
            lines.append(f"  {side[:-1]} {t['name']}: {t['type']} {t['shape']}")
    if "ops" in info:
        ops = ", ".join(f"{k} {v}" for k, v in list(info["ops"].items())[:10])
        lines.append(f"  opset {info['opset']}, {info['parameters'] / 1e6:.2f} M parameters; ops: {ops}")
    if "artifact" in info:
        art = info["artifact"]
        lines.append(f"  exported {art['weights'] or art['model']}, {art['precision']}, {art['size']}")
        if art["styles"]:
            lines.append(f"  {len(art['styles'])} styles (run --style NAME): {', '.join(art['styles'])}")
    if "metadata_problem" in info:
        lines.append(f"  stylelite metadata: unreadable ({info['metadata_problem']})")
    elif "stylelite" in info and not isinstance(info["stylelite"], dict):
        lines.append(
            "  stylelite metadata: yes (run, bench and serve know how to feed it)"
            if info["stylelite"]
            else "  stylelite metadata: none (not exported by stylelite)"
        )
    if "members" in info:
        lines.append(f"  archive members: {', '.join(info['members'][:8])}{' ...' if len(info['members']) > 8 else ''}")
    if "note" in info:
        lines.append(f"  {info['note']}")
    return "\n".join(lines)
