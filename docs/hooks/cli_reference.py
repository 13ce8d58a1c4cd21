"""MkDocs hook: the CLI reference is written at build time from `stylelite.cli.main`'s argparse parsers.

A page holding the marker below gets, in its place, one section per verb (in `COMMANDS` order) with the
verb's usage, every option with its default and help text, and the examples of its `--help`; sub-actions
(`stylelite budget check`) get their own sections. Nothing is kept on disk, so the reference cannot go
stale: a renamed flag is renamed here on the next build.
"""

from __future__ import annotations

import argparse
import re

MARKER = "<!-- cli-reference -->"


def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKER not in markdown:
        return markdown
    return markdown.replace(MARKER, cli_reference_markdown())


def cli_reference_markdown() -> str:
    from stylelite.cli.main import COMMANDS, build_parser

    top = build_parser()
    parts = [_section("stylelite", top, level=2, with_verbs=False)]
    for verb in COMMANDS:
        parser = _subparser(build_parser(verb), verb)
        parts.append(_section(f"stylelite {verb}", parser, level=2))
    return "\n\n".join(parts) + "\n"


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices[name]
    raise KeyError(name)


def _section(title: str, parser: argparse.ArgumentParser, level: int, with_verbs: bool = True) -> str:
    out = [f"{'#' * level} `{title}`", ""]
    if parser.description:
        out += [_escape(parser.description), ""]
    out += ["```text", parser.format_usage().strip(), "```", ""]
    rows, subs = [], []
    formatter = argparse.HelpFormatter(parser.prog)  # help text as written: the default has its own column
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        if isinstance(action, argparse._SubParsersAction):
            subs.append(action)
            continue
        rows.append(_row(action, formatter))
    if rows:
        out += ["| option | default | what it does |", "|---|---|---|", *rows, ""]
    if parser.epilog:
        out += ["```text", parser.epilog.strip(), "```", ""]
    if with_verbs:
        for action in subs:
            for name, sub in action.choices.items():
                out.append(_section(f"{title} {name}", sub, level + 1))
    return "\n".join(out)


def _row(action: argparse.Action, formatter: argparse.HelpFormatter) -> str:
    if action.option_strings:
        metavar = formatter._format_args(action, action.dest.upper()) if action.nargs != 0 else ""
        names = ", ".join(f"`{s} {metavar}`".replace(" `", "`") if metavar else f"`{s}`" for s in action.option_strings)
    else:
        names = f"`{formatter._metavar_formatter(action, action.dest)(1)[0]}` (positional)"
    if action.required and action.option_strings:
        names += " (required)"
    default = action.default
    shown = "" if default in (None, False, argparse.SUPPRESS) or action.nargs == 0 else f"`{default}`"
    if isinstance(default, list | tuple):
        shown = f"`{' '.join(map(str, default))}`" if default else ""
    text = formatter._expand_help(action) if action.help and action.help != argparse.SUPPRESS else ""
    if action.choices and not isinstance(action, argparse._SubParsersAction):
        text += f" (one of: {', '.join(f'`{c}`' for c in action.choices)})"
    return f"| {names} | {shown} | {_escape(text)} |"


def _escape(text: str) -> str:
    """Markdown-safe table text: backtick spans stay code; elsewhere `|`, `*`, `_`, `<`, `[` are literal."""
    pieces = re.split(r"(`[^`]*`)", " ".join(text.split()))
    for i in range(0, len(pieces), 2):
        pieces[i] = re.sub(r"([|*_\[\]])", r"\\\1", pieces[i]).replace("<", "&lt;")
    return "".join(pieces)
