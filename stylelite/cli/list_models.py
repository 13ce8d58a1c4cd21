"""`stylelite list`: registered teachers and students with params and MACs."""

from __future__ import annotations

import argparse


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("kind", nargs="?", choices=("all", "teachers", "students"), default="all")
    p.add_argument("--cards", action="store_true", help="also print each model's weights source and licence")
    p.add_argument(
        "--size", type=int, default=256, help="MACs are counted at size x size (rounded up to each model's stride)"
    )


def execute(args: argparse.Namespace) -> int:
    print(format_model_list(args.kind, args.size, cards=args.cards))
    return 0


def _round_up(size: int, stride: int) -> int:
    return -(-size // stride) * stride  # what the runtime pads a frame to


def _shapes_only(builder):
    """(model, card) built on the meta device: shapes without weights, so counting a teacher's MACs takes
    milliseconds instead of seconds of real arithmetic; a model that cannot be built there is built for real."""
    import torch

    try:
        with torch.device("meta"):
            model = builder()
            return model, model.card
    except (NotImplementedError, RuntimeError):
        model = builder()
        return model, model.card


def format_model_list(kind: str = "all", size: int = 256, cards: bool = False) -> str:
    """The `stylelite list` table; with `cards`, each model's source and licence notes below it."""
    from stylelite.benchmark.table import text_table
    from stylelite.models.profile import count_macs, count_params
    from stylelite.models.registry import PRETRAINED, STUDENTS, TEACHERS

    head = ("kind", "name", "params", f"GMAC@{size}", "input", "res", "stride", "family / weights")
    rows = []
    notes: list[str] = []
    for label, reg in (("teacher", TEACHERS), ("student", STUDENTS)):
        if kind not in ("all", label + "s"):
            continue
        for n in reg.names():
            m, card = _shapes_only(reg.get(n))
            side = _round_up(size, card.stride)
            tags = [t for t in PRETRAINED if t.startswith(n + ".")]
            lo, hi = card.input_range
            rows.append(
                (
                    label,
                    n,
                    f"{count_params(m):,}",
                    f"{count_macs(m, side, side) / 1e9:.2f}",
                    f"[{lo:g},{hi:g}] {card.color} {card.layout}",
                    str(card.resolution),
                    str(card.stride),
                    card.family + (f"; shipped: {', '.join(tags)}" if tags else ""),
                )
            )
            if cards:
                notes.append(f"{n}:\n  weights: {card.source or '-'}\n  licence: {card.license or '-'}")
    table = text_table(head, rows, align="<<>><>><")
    return table + ("\n\n" + "\n".join(notes) if notes else "")
