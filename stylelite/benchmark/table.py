"""The one table printer: columns and rows as aligned text, or as a Markdown pipe table.

Every table stylelite prints or writes goes through `text_table`: the bench and pipeline tables, the
budget checks, the export verification, `stylelite list`, and the report's Markdown tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def text_table(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    align: str = "",
    markdown: bool = False,
    indent: str = "",
) -> str:
    """A header line, a rule and one line per row, each column as wide as its widest cell.

    Args:
        columns: the header cells.
        rows: one sequence of cells per row, one cell per column (shown with `str`).
        align: one character per column, "<" (left) or ">" (right); columns it does not cover are left-aligned.
        markdown: a Markdown pipe table (right-aligned columns get a `---:` rule; "|" in a cell becomes "/")
            instead of columns separated by two spaces.
        indent: text put before every line.
    """
    head = [str(c) for c in columns]
    body = [[str(c) for c in row] for row in rows]
    assert all(len(row) == len(head) for row in body), "every row needs one cell per column"
    if markdown:
        body = [[c.replace("|", "/") for c in row] for row in body]
    sides = [align[i] if i < len(align) else "<" for i in range(len(head))]
    widths = [max(len(c) for c in col) for col in zip(head, *body)]
    if markdown:
        widths = [max(w, 3) for w in widths]
        rule = [("-" * (w - 1) + ":") if s == ">" else "-" * w for w, s in zip(widths, sides)]
    else:
        rule = ["-" * w for w in widths]

    def line(cells: list[str]) -> str:
        shown = [c.rjust(w) if s == ">" else c.ljust(w) for c, w, s in zip(cells, widths, sides)]
        text = "| " + " | ".join(shown) + " |" if markdown else "  ".join(shown).rstrip()
        return indent + text

    return "\n".join([line(head), line(rule), *(line(row) for row in body)])
