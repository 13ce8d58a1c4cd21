"""Reading checkpoints safely and loading them strictly, with one-line errors."""

from __future__ import annotations

import re
import zipfile
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


def read_state_dict(path: str | Path) -> dict[str, torch.Tensor]:
    """Read a `.pth/.pt/.ckpt` (torch.load, weights_only=True) or `.safetensors` file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            obj = load_file(str(path))
        else:
            obj = torch.load(path, map_location="cpu", weights_only=True)
    except (zipfile.BadZipFile, RuntimeError, EOFError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"{path.name} is not a readable checkpoint (truncated or another format): {str(exc).splitlines()[0][:160]}"
        ) from None
    except Exception as exc:  # pickle refusals under weights_only, bad headers, ...
        raise CheckpointError(
            f"{path.name} could not be loaded safely ({type(exc).__name__}): "
            f"{str(exc).splitlines()[0][:160] if str(exc) else ''}"
        ) from None
    for key in _WRAPPER_KEYS:
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        raise CheckpointError(f"{path.name} does not hold a state_dict of tensors")
    return {k.removeprefix("module."): v for k, v in obj.items()}


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


def load_weights(
    model: nn.Module, path: str | Path, candidates: Mapping[str, Callable[[], nn.Module]] = {}
) -> nn.Module:  # noqa: B006
    """Strictly load a checkpoint into `model`, or raise CheckpointError naming the mismatch and, among
    `candidates` (name -> builder; the registry passes every registered model), the model it fits."""
    raw = read_state_dict(path)
    state = normalize_legacy_keys(model, raw)
    problem = describe_mismatch(model, state)
    if problem:
        card = getattr(model, "card", None)
        name = card.name if card else type(model).__name__
        guess = guess_architecture(raw, candidates)  # as the file has it: the legacy-key fixes are per model
        hint = f"; it looks like {guess}" if guess and guess != name else ""
        raise CheckpointError(f"{Path(path).name} does not fit {name}: {problem}{hint}")
    model.load_state_dict({k: v.to(model.state_dict()[k].dtype) for k, v in state.items()}, strict=True)
    return model


def guess_architecture(
    state: dict[str, torch.Tensor],
    candidates: Mapping[str, Callable[[], nn.Module]] = {},  # noqa: B006
) -> str | None:
    """Name the candidate (name -> builder) whose state_dict keys and shapes match `state`, else a hint
    at the family the keys look like, else None."""
    for name, build in candidates.items():
        with torch.device("meta"):
            candidate = build()
        if describe_mismatch(candidate, normalize_legacy_keys(candidate, state)) is None:
            return name
    return _family_hint(state)


def _family_hint(state: dict[str, torch.Tensor]) -> str | None:
    """Name the family of a state_dict that fits no registered model, from its key patterns."""
    keys = " ".join(state)
    if re.search(r"model\.\d+\.conv_block\.", keys):
        return "a CycleGAN ResNet generator of another depth or width"
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
