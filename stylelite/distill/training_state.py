"""Resumable training state in one safetensors file, written atomically.

Model weights and optimizer moments are tensors under prefixed keys; the optimizer's
param_groups, the step and anything else small travel as JSON in the file's metadata.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import load_file, safe_open, save_file
from torch import nn

from stylelite.runtime.errors import CheckpointError
from stylelite.runtime.files import atomic_path


def save_training_state(
    path: str | Path, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer], meta: dict
) -> None:
    tensors: dict[str, torch.Tensor] = {}
    groups = {}
    for name, module in modules.items():
        for k, v in module.state_dict().items():
            tensors[f"{name}/{k}"] = v.detach().contiguous()
    for name, opt in optimizers.items():
        sd = opt.state_dict()
        groups[name] = sd["param_groups"]
        for idx, st in sd["state"].items():
            for k, v in st.items():
                t = v if isinstance(v, torch.Tensor) else torch.tensor(v)
                tensors[f"opt.{name}/{idx}/{k}"] = t.detach().contiguous()
    metadata = {"meta": json.dumps(meta), "param_groups": json.dumps(groups)}
    with atomic_path(path) as tmp:
        save_file(tensors, str(tmp), metadata=metadata)


def load_training_state(
    path: str | Path, modules: dict[str, nn.Module], optimizers: dict[str, torch.optim.Optimizer]
) -> dict:
    """Restore modules and optimizers in place; return the saved meta dict."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no training state to resume at {path}")
    try:
        tensors = load_file(str(path))
        with safe_open(str(path), "pt") as f:
            metadata = f.metadata()
    except Exception as exc:
        raise CheckpointError(f"training state {path} is unreadable: {exc}") from None
    for name, module in modules.items():
        prefix = f"{name}/"
        module.load_state_dict({k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)})
    groups = json.loads(metadata["param_groups"])
    for name, opt in optimizers.items():
        prefix = f"opt.{name}/"
        state: dict[int, dict] = {}
        for k, v in tensors.items():
            if k.startswith(prefix):
                idx, key = k[len(prefix) :].split("/", 1)
                state.setdefault(int(idx), {})[key] = v
        opt.load_state_dict({"state": state, "param_groups": groups[name]})
    return json.loads(metadata["meta"])


def save_weights(
    path: str | Path, model: nn.Module, dtype: torch.dtype | None = None, metadata: dict | None = None
) -> None:
    """Model weights only (what `create_*(checkpoint=...)` loads), atomically."""
    sd = {
        k: (v.to(dtype) if dtype is not None and v.is_floating_point() else v).contiguous()
        for k, v in model.state_dict().items()
    }
    with atomic_path(path) as tmp:
        save_file(sd, str(tmp), metadata={k: str(v) for k, v in (metadata or {}).items()})
