"""Start a shallower student from a deeper one: drop residual blocks from trained weights.

A residual block adds its output to what passes through it, so a stack without one block still
computes something close to the whole stack's output; distilling from there (`distill --init-from`)
recovers in a fraction of the steps a fresh student needs. ShuffleGen's `blocks.K.*` are renumbered
so that the weights load strictly into the student with that many fewer blocks (shufflegen_s_050
less one block is shufflegen_f_050, and that less one more is shufflegen_t_050).

    python -m stylelite.distill.drop_blocks shufflegen_s_050.cartoon f_init.safetensors --drop 5
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import torch

from stylelite.runtime.errors import ConfigError, InputError

_BLOCK = re.compile(r"^blocks\.(\d+)\.(.+)$")


def drop_blocks(state: dict[str, torch.Tensor], drop: set[int]) -> dict[str, torch.Tensor]:
    """`state` without the residual blocks numbered in `drop`, the blocks after them renumbered."""
    blocks = sorted({int(m.group(1)) for k in state if (m := _BLOCK.match(k))})
    if not blocks:
        raise InputError("these weights have no residual blocks (blocks.K.*) to drop")
    unknown = sorted(drop - set(blocks))
    if unknown:
        raise ConfigError(f"--drop {unknown[0]}: the weights have blocks 0 to {blocks[-1]}")
    if len(drop) >= len(blocks):
        raise ConfigError(f"--drop would leave no block of the {len(blocks)}")
    new_index = {b: i for i, b in enumerate(b for b in blocks if b not in drop)}
    out = {}
    for key, value in state.items():
        m = _BLOCK.match(key)
        if not m:
            out[key] = value
        elif int(m.group(1)) in new_index:
            out[f"blocks.{new_index[int(m.group(1))]}.{m.group(2)}"] = value
    return out


def main(argv: list[str] | None = None) -> None:
    """`python -m stylelite.distill.drop_blocks SOURCE OUT.safetensors --drop K [K ...]`"""
    from safetensors.torch import save_file

    from stylelite.models.registry import create_student
    from stylelite.models.shufflegen import ShuffleGen
    from stylelite.runtime.errors import StyleliteError
    from stylelite.runtime.files import atomic_path, check_writable_folder, write_error

    p = argparse.ArgumentParser(prog="python -m stylelite.distill.drop_blocks", description=__doc__.split("\n")[0])
    p.add_argument("source", help="a shipped student (shufflegen_s_050.cartoon) or STUDENT=weights.safetensors")
    p.add_argument("output", help="the new weights file (.safetensors; an existing file is not overwritten)")
    p.add_argument("--drop", type=int, nargs="+", required=True, help="the block numbers to drop (from 0)")
    args = p.parse_args(argv)
    try:
        out = Path(args.output)
        if out.exists():
            raise ConfigError(f"{out} exists; give a new file name")
        check_writable_folder(out.parent, out)  # before any model loads
        name, _, weights = args.source.partition("=")
        if not weights and "." not in name:  # a bare name is a randomly initialised student: nothing to keep
            raise ConfigError(
                f"{name} names no trained weights: give shipped weights (shufflegen_s_050.cartoon) or "
                f"{name}=weights.safetensors"
            )
        model = create_student(name, checkpoint=weights or None)
        if not isinstance(model, ShuffleGen):  # other families' blocks do not renumber into a registered student
            raise ConfigError(
                f"{name.split('.')[0]} is not a ShuffleGen student: drop_blocks makes a shallower shufflegen_* "
                "(shufflegen_s_050 less a block is shufflegen_f_050)"
            )
        state = drop_blocks({k: v.detach().clone() for k, v in model.state_dict().items()}, set(args.drop))
        try:
            with atomic_path(out) as tmp:
                save_file(state, str(tmp))
        except OSError as exc:  # read-only, full disk: one line, nothing left
            raise write_error(exc, out) from None
    except StyleliteError as exc:
        raise SystemExit(f"error: {exc}") from None
    kept = len({k.split(".")[1] for k in state if k.startswith("blocks.")})
    print(f"wrote {out}: {name} without block(s) {', '.join(map(str, args.drop))} ({kept} blocks left)")


if __name__ == "__main__":
    main()
