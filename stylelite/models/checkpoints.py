"""Reading checkpoints safely and loading them strictly, with one-line errors."""

from __future__ import annotations

import pickle
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path

import torch
from torch import nn

from stylelite.runtime.errors import CheckpointError

# Containers that training scripts wrap a state_dict in.
_WRAPPER_KEYS = ("state_dict", "model", "model_state_dict", "generator", "g_ema", "params")
# InstanceNorm running stats that old PyTorch versions saved; the official CycleGAN
# test code deletes them before loading, and so do we.
_STALE_NORM_SUFFIXES = ("running_mean", "running_var", "num_batches_tracked")


def read_state_dict(path: str | Path, key_map: tuple = ()) -> dict[str, torch.Tensor]:
    """Read a `.pth/.pt/.ckpt` (torch.load, weights_only=True, onto the CPU wherever it was saved) or
    `.safetensors` file; unwrap the usual containers, drop DataParallel's `module.` and apply `key_map`
    (models/key_map.py rules). Files that are not checkpoints are named for what they are."""
    from stylelite.models.key_map import remap_keys

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    kind = sniff_kind(path)
    if kind not in WEIGHT_KINDS:
        raise CheckpointError(
            f"{path.name} is not a PyTorch checkpoint (it looks like {FILE_KINDS[kind]}){_advice(kind)}"
        )
    try:
        if kind == "safetensors":
            from safetensors.torch import load_file

            obj = load_file(str(path))
        else:
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(_refused_pickle(path, _plain(str(exc)))) from None
    except (zipfile.BadZipFile, RuntimeError, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"{path.name} is not a readable checkpoint (truncated or another format): {_first_line(exc)}"
        ) from None
    except Exception as exc:  # bad safetensors headers, ...
        raise CheckpointError(
            f"{path.name} could not be loaded safely ({type(exc).__name__}): {_first_line(exc)}"
        ) from None
    for key in _WRAPPER_KEYS:
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    if isinstance(obj, nn.Module):  # only reachable for files weights_only allowed: never, but say it plainly
        raise CheckpointError(_refused_pickle(path, type(obj).__name__))
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{path.name} does not hold a state_dict of tensors")
    return remap_keys({k.removeprefix("module."): v for k, v in obj.items()}, key_map)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


def _first_line(exc: Exception) -> str:
    return _plain(str(exc)).strip().splitlines()[0][:160] if str(exc).strip() else type(exc).__name__


def _refused_pickle(path: Path, detail: str) -> str:
    """A pickle that weights_only refused: usually a whole model saved with torch.save(model)."""
    found = re.search(r"GLOBAL ([\w.]+)", detail) or re.search(r"([\w.]+\.[A-Z]\w+)", detail)
    what = found.group(1) if found else detail.splitlines()[0][:80] if detail else "an object"
    return (
        f"{path.name} holds a pickled Python object ({what}), not a state_dict, and stylelite does not unpickle "
        f"code: re-save its weights where that class is importable, torch.save(model.state_dict(), "
        f"'{path.stem}_state.pth'), and pass that file"
    )


FILE_KINDS = {  # sniff_kind's answers, and how a message names them
    "checkpoint": "a PyTorch checkpoint",
    "safetensors": "a safetensors file",
    "onnx": "an ONNX model",
    "tflite": "a TFLite model",
    "torchscript": "a TorchScript module",
    "pt2": "a torch.export program (.pt2)",
    "zip": "a zip archive",
    "png": "a PNG image",
    "jpeg": "a JPEG image",
    "text": "a text file",
    "empty": "an empty file",
    "unknown": "an unknown format",
}
WEIGHT_KINDS = ("checkpoint", "safetensors")
GRAPH_KINDS = ("onnx", "torchscript", "pt2", "tflite")  # exported generators a GraphTeacher runs


def sniff_file(path: str | Path) -> str:
    """What a file is, in words ('a PyTorch checkpoint', 'an ONNX model', ...: FILE_KINDS)."""
    return FILE_KINDS[sniff_kind(path)]


def sniff_kind(path: str | Path) -> str:
    """What a file is, from its first bytes (and a zip's member names): a FILE_KINDS key."""
    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(4096)
    if not head:
        return "empty"
    if head.startswith(b"\x89PNG"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[4:8] == b"TFL3":
        return "tflite"
    if head.startswith(b"PK\x03\x04") and not zipfile.is_zipfile(path):
        return "checkpoint"  # a cut-off zip: torch.load says what is wrong with it
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
        top = {n.split("/", 1)[-1] for n in names}  # members below the archive's own folder
        if "constants.pkl" in top or any(n.startswith("code/") for n in top):
            return "torchscript"
        if "archive_format" in top or any(n.endswith("serialized_exported_program.json") for n in names):
            return "pt2"
        if any(n.endswith("data.pkl") for n in names):
            return "checkpoint"
        return "zip"
    if len(head) > 8 and 0 < int.from_bytes(head[:8], "little") < path.stat().st_size and head[8:9] == b"{":
        return "safetensors"
    if head[:1] == b"\x80":  # a pickle protocol opcode: torch.save's legacy (pre-1.6) format
        return "checkpoint"
    if path.suffix == ".onnx" or (head[:1] == b"\x08" and b"\x12" in head[:4] and b"onnx" in head.lower()):
        return "onnx"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        return "unknown"
    return "text" if all(c.isprintable() or c.isspace() for c in text) else "unknown"


def _advice(kind: str) -> str:
    if kind in ("onnx", "tflite"):
        return "; look inside with stylelite inspect, run it with stylelite run/bench"
    if kind in ("torchscript", "pt2"):
        return "; look inside with stylelite inspect; for its weights, save model.state_dict() where you export it"
    return "; give the generator's weights file (.pth/.pt/.safetensors)"


def drop_stale_norm_stats(model: nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Remove running-stat keys of norms that track none (old InstanceNorm checkpoints)."""
    untracked = {
        name
        for name, m in model.named_modules()
        if isinstance(m, nn.modules.instancenorm._InstanceNorm) and not m.track_running_stats
    }
    out = {}
    for k, v in state.items():
        owner, _, leaf = k.rpartition(".")
        if leaf in _STALE_NORM_SUFFIXES and owner in untracked:
            continue
        out[k] = v
    return out


def fill_missing_batch_counts(model: nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Add a zero `num_batches_tracked` for BatchNorms whose file predates it (PyTorch < 0.4.1).

    PyTorch's own BatchNorm loader does the same for such files; the counter is unused in eval.
    """
    out = dict(state)
    for name, m in model.named_modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats:
            key = f"{name}.num_batches_tracked"
            if f"{name}.running_mean" in out and key not in out:
                out[key] = torch.tensor(0, dtype=torch.long)
    return out


def normalize_legacy_keys(model: nn.Module, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Drop stale InstanceNorm stats and fill missing BatchNorm counters: what old official
    checkpoints need before a strict load into `model`."""
    return fill_missing_batch_counts(model, drop_stale_norm_stats(model, state))


def describe_mismatch(model: nn.Module, state: dict[str, torch.Tensor]) -> str | None:
    """None if `state` fits `model` exactly, else a short description of the difference."""
    want = model.state_dict()
    missing = [k for k in want if k not in state]
    unexpected = [k for k in state if k not in want]
    shapes = [
        f"{k} {list(state[k].shape)} vs {list(want[k].shape)}"
        for k in want
        if k in state and state[k].shape != want[k].shape
    ]
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing keys ({_few(missing)})")
    if unexpected:
        parts.append(f"{len(unexpected)} unexpected keys ({_few(unexpected)})")
    if shapes:
        parts.append(f"{len(shapes)} shape mismatches (file vs model: {_few(shapes)})")
    return "; ".join(parts) or None


def _few(items: list[str], n: int = 3) -> str:
    return ", ".join(items[:n]) + (", ..." if len(items) > n else "")


def apply_activation_bounds(model: nn.Module, path: str | Path) -> None:
    """Give `model` the activation bounds that a range-learning QAT run stored in the safetensors metadata
    of `path` (distill/range_qat.py); nothing for other files or students without bounds."""
    import json

    path = Path(path)
    if path.suffix != ".safetensors" or not hasattr(model, "set_activation_bounds"):
        return
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        text = (f.metadata() or {}).get("activation_bounds")
    if text:
        try:
            model.set_activation_bounds(json.loads(text))
        except (ValueError, TypeError) as exc:
            raise CheckpointError(f"{path.name}: its activation_bounds metadata is broken ({exc})") from None


def load_weights(
    model: nn.Module,
    path: str | Path,
    candidates: Mapping[str, Callable[[], nn.Module]] = {},  # noqa: B006
    state: dict[str, torch.Tensor] | None = None,
) -> nn.Module:
    """Strictly load a checkpoint into `model` (`state`: the file already read, keys mapped), or raise
    CheckpointError naming the mismatch and the option that makes it load: a `--key-map` for renamed
    keys, or among `candidates` (name -> builder; the registry passes every registered model) the model
    it fits."""
    raw = read_state_dict(path) if state is None else state
    state = normalize_legacy_keys(model, raw)
    if hasattr(model, "complete_state"):  # keys a model can start at its init (a skip filter at the identity)
        state = model.complete_state(state)
    problem = describe_mismatch(model, state)
    if problem:
        card = getattr(model, "card", None)
        name = card.name if card else type(model).__name__
        rules = suggest_key_map(model, state)
        if rules:
            hint = f"; it loads with --key-map {' '.join(repr(r) for r in rules)}"
        else:
            guess = guess_architecture(raw, candidates)  # as the file has it: the legacy-key fixes are per model
            hint = f"; it looks like {guess}" if guess and guess != name else ""
        raise CheckpointError(f"{Path(path).name} does not fit {name}: {problem}{hint}")
    model.load_state_dict({k: v.to(model.state_dict()[k].dtype) for k, v in state.items()}, strict=True)
    return model


def suggest_key_map(model: nn.Module, state: dict[str, torch.Tensor], max_rules: int = 3) -> list[str]:
    """`--key-map` rules (as strings) under which `state` fits `model` exactly, or []: a leading prefix
    to drop, key components renamed one for one (a fork's `block` for upstream's `conv_block`), or both."""
    from stylelite.models.key_map import parse_key_map, remap_keys

    want = model.state_dict()
    unexpected = [k for k in state if k not in want]
    if not unexpected or all(k in state for k in want):
        return []
    prefixes = {k.split(".", 1)[0] for k in unexpected}
    prefix = [f"{prefixes.pop()}.="] if len(prefixes) == 1 else []
    try:  # renames after dropping the prefix, when there is one (a fork's `netG.` and its `blk`)
        after_prefix = _component_renames(want, remap_keys(state, parse_key_map(prefix)), max_rules) if prefix else []
    except Exception:
        after_prefix = []
    both = prefix + after_prefix if after_prefix else []
    for rules in (prefix, _component_renames(want, state, max_rules), both):
        if not rules:
            continue
        try:
            mapped = normalize_legacy_keys(model, remap_keys(state, parse_key_map(rules)))
        except Exception:  # two keys renamed onto one: not this rule set
            continue
        if describe_mismatch(model, mapped) is None:
            return rules
    return []


def _component_renames(want: dict, state: dict, max_rules: int) -> list[str]:
    """`OLD=NEW` renames of one key component that turn `state`'s unexpected keys into `want`'s missing ones
    of the same shape and depth, the most frequent first."""
    missing = [k for k in want if k not in state]
    unexpected = [k for k in state if k not in want]
    renames: Counter = Counter()
    by_shape: dict[tuple, list[list[str]]] = {}
    for k in missing:
        by_shape.setdefault((tuple(want[k].shape), k.count(".")), []).append(k.split("."))
    for k in unexpected:
        parts = k.split(".")
        for m in by_shape.get((tuple(state[k].shape), k.count(".")), []):
            diff = [(a, b) for a, b in zip(parts, m) if a != b]
            if len(diff) == 1 and not diff[0][0].isdigit():
                renames[diff[0]] += 1
    return [f"{a}={b}" for (a, b), _ in renames.most_common(max_rules)]


def guess_architecture(
    state: dict[str, torch.Tensor],
    candidates: Mapping[str, Callable[[], nn.Module]] = {},  # noqa: B006
) -> str | None:
    """Name the candidate (name -> builder) whose state_dict keys and shapes match `state`, else a hint
    at the family the keys look like, else None."""
    for name, build in candidates.items():
        variant = getattr(build, "variant_of", None)  # dropout, affine norm: read off the keys
        with torch.device("meta"):
            candidate = build(**(variant(state) if variant else {}))
        normalized = normalize_legacy_keys(candidate, state)
        if describe_mismatch(candidate, normalized) is None:
            return name
        if rules := suggest_key_map(candidate, normalized):
            return f"{name} with --key-map {' '.join(repr(r) for r in rules)}"
    return _family_hint(state)


def _family_hint(state: dict[str, torch.Tensor]) -> str | None:
    """Name the family of a state_dict that fits no registered model, from its key patterns."""
    keys = " ".join(state)
    if re.search(r"model\.\d+\.conv_block\.", keys):
        blocks = len({m.group(1) for m in re.finditer(r"model\.(\d+)\.conv_block\.", keys)})
        ngf = state["model.1.weight"].shape[0] if "model.1.weight" in state else "?"
        return (
            f"a CycleGAN ResNet generator with {blocks} blocks and ngf={ngf} "
            "(registered: cyclegan_r9, cyclegan_r6, cyclegan_r9_bn, all ngf=64)"
        )
    if "model.model.0.weight" in state and re.search(r"model\.model\.1\.model\.", keys):
        # Block k below the outermost one sits at model.model.1(.model.3)*(k-1) with its down conv at
        # .model.1; the innermost block is k = num_downs - 1.
        down_convs = [re.fullmatch(r"model\.model\.1((?:\.model\.3)*)\.model\.1\.weight", k) for k in state]
        n = max((m.group(1).count(".model.3") + 1 for m in down_convs if m), default=0) + 1
        ngf = state["model.model.0.weight"].shape[0]
        norm = "batch" if "model.model.1.model.2.weight" in state else "instance"  # affine=False with instance
        return (
            f"a pix2pix/CycleGAN U-Net generator with num_downs={n} (unet_{2**n}), ngf={ngf}, --norm {norm}; "
            "registered U-Nets: pix2pix_unet256, pix2pix_unet128, cyclegan_unet256"
        )
    if re.search(r"(^| )res\d+\.conv1\.conv2d\.weight", keys) and "deconv1.conv2d.weight" in state:
        return "a fast-neural-style TransformerNet of another width or depth (fast_neural_style is the released one)"
    if re.search(r"block_c\.\d+\.layers\.", keys) or "out_layer.0.weight" in state:
        return "an AnimeGAN generator of another layout (animegan2 is the animegan2-pytorch one)"
    return None
