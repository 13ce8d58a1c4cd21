"""Start a thinner ShuffleGen from a wider one's weights (`distill --init-from` a wider student).

A ShuffleGen has one residual stream (stem out, every pair's input and output, head in) and one hidden layer per
residual pair. Narrowing keeps, for the stream and for each hidden layer separately, the channels whose weights
carry the most (the L1 norm of every weight that writes or reads the channel, each layer's share normalised so
that no single layer decides), drops the rest and keeps the weights between the kept channels. The result
computes a degraded version of the wide student's picture, a far better start for a fine-tune than a random
init; the dropped channels' contribution is what the fine-tune relearns.
"""

from __future__ import annotations

import re

import torch

from stylelite.runtime.errors import CheckpointError

STEM, HEAD = "stem.0", "head"
_PAIR = re.compile(r"^blocks\.(\d+)\.conv1\.weight$")


def stream_width(state: dict[str, torch.Tensor]) -> int | None:
    """The residual stream's channel count of a ShuffleGen state dict, or None when it is not one."""
    w = state.get(f"{STEM}.weight")
    return int(w.shape[0]) if w is not None and w.ndim == 4 else None


def _pairs(state: dict[str, torch.Tensor]) -> list[int]:
    return sorted(int(m.group(1)) for k in state if (m := _PAIR.match(k)))


def _share(weight: torch.Tensor, dim: int) -> torch.Tensor:
    """Each channel's L1 mass along `dim` (0: output channels, 1: input channels) as a share of the layer's."""
    other = [d for d in range(weight.ndim) if d != dim]
    mass = weight.detach().abs().sum(dim=other)
    return mass / mass.sum().clamp_min(1e-12)


def _top(score: torch.Tensor, keep: int) -> torch.Tensor:
    """The `keep` highest-scoring indices, in their original order (so channel order, and any reading of it, holds)."""
    return torch.sort(torch.topk(score, keep).indices).values


def narrow_state(state: dict[str, torch.Tensor], channels: int) -> dict[str, torch.Tensor]:
    """`state` of a ShuffleGen with `channels` stream and hidden channels, from a wider ShuffleGen's `state`.

    Keys other than the stem, the pairs and the head (a skip filter) are copied as they are.
    """
    wide = stream_width(state)
    pairs = _pairs(state)
    if wide is None or f"{HEAD}.weight" not in state or not pairs:
        raise CheckpointError("these weights are not a ShuffleGen student's (no stem.0, blocks.K.conv1 or head)")
    if channels > wide:
        raise CheckpointError(f"cannot narrow a {wide}-channel ShuffleGen to {channels} channels: it is narrower")
    try:
        return _narrowed(state, channels, pairs)
    except (IndexError, RuntimeError) as exc:  # a forged or foreign file whose layers disagree on channel counts
        raise CheckpointError(f"these ShuffleGen weights disagree on their channel counts ({exc})") from None


def _narrowed(state: dict[str, torch.Tensor], channels: int, pairs: list[int]) -> dict[str, torch.Tensor]:
    out = {k: v.detach().clone() for k, v in state.items()}
    # the stream: written by the stem and every conv2, read by every conv1 and the head
    score = _share(state[f"{STEM}.weight"], 0) + _share(state[f"{HEAD}.weight"], 1)
    for i in pairs:
        score += _share(state[f"blocks.{i}.conv1.weight"], 1) + _share(state[f"blocks.{i}.conv2.weight"], 0)
    keep = _top(score, channels)
    out[f"{STEM}.weight"], out[f"{STEM}.bias"] = state[f"{STEM}.weight"][keep], state[f"{STEM}.bias"][keep]
    out[f"{HEAD}.weight"] = state[f"{HEAD}.weight"][:, keep]
    for i in pairs:
        c1, c2 = f"blocks.{i}.conv1", f"blocks.{i}.conv2"
        # each pair's hidden layer: written by its conv1, read by its conv2
        hidden = _top(_share(state[f"{c1}.weight"], 0) + _share(state[f"{c2}.weight"], 1), channels)
        out[f"{c1}.weight"] = state[f"{c1}.weight"][hidden][:, keep]
        out[f"{c1}.bias"] = state[f"{c1}.bias"][hidden]
        out[f"{c2}.weight"] = state[f"{c2}.weight"][keep][:, hidden]
        out[f"{c2}.bias"] = state[f"{c2}.bias"][keep]
    return {k: v.contiguous() for k, v in out.items()}


def start_student(name: str, path: str) -> tuple[torch.nn.Module, str | None]:
    """Student `name` started from the weights at `path`, and a line saying so when they were narrowed first.

    Weights of the student's own shape load as they are (a mismatch fails as any load does); a wider ShuffleGen's
    weights into a thinner ShuffleGen are narrowed (`narrow_state`) when the pairs and the rest match.
    """
    from stylelite.models.checkpoints import load_weights, read_state_dict
    from stylelite.models.registry import create_student
    from stylelite.models.shufflegen import ShuffleGen

    model = create_student(name)
    state = read_state_dict(path)
    wide = stream_width(state)
    if isinstance(model, ShuffleGen) and wide is not None and wide > model.stem[0].out_channels:
        thin = model.stem[0].out_channels
        load_weights(model, path, state=narrow_state(state, thin))
        return model, f"--init-from: {wide}-channel weights narrowed to {name}'s {thin} channels (the heaviest kept)"
    return create_student(name, checkpoint=path), None
