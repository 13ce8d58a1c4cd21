"""The one table printer: aligned text and Markdown from columns and rows."""

from __future__ import annotations

from stylelite.benchmark.table import text_table


def test_columns_are_as_wide_as_their_widest_cell_and_align_as_asked():
    table = text_table(["model", "p50 ms", "status"], [["student.onnx", "6.5", "ok"], ["t.onnx", 586.8, "error"]],
                       align="<>")  # fmt: skip
    assert table.splitlines() == [
        "model         p50 ms  status",
        "------------  ------  ------",
        "student.onnx     6.5  ok",
        "t.onnx         586.8  error",
    ]


def test_indent_and_no_trailing_spaces():
    lines = text_table(["a", "long header"], [["x", ""]], indent="  ").splitlines()
    assert lines[0] == "  a  long header" and lines[2] == "  x" and all(ln == ln.rstrip() for ln in lines)


def test_markdown_pipe_table():
    table = text_table(["artifact", "FPS", "status"], [["`s.onnx`", "90.0", "error: a | b"]], align="<>", markdown=True)
    assert table.splitlines() == [
        "| artifact |  FPS | status       |",
        "| -------- | ---: | ------------ |",
        "| `s.onnx` | 90.0 | error: a / b |",
    ]


def test_a_table_without_rows_is_its_header():
    assert text_table(["a", "b"], []).splitlines() == ["a  b", "-  -"]
