"""The README opens with the two commands, CI runs exactly the second one, and the README stays short: the
long form lives in docs/ (the documentation site)."""

import re

from tests.conftest import ROOT


def _first_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```(?:bash|sh)?\n(.*?)```", text, re.S)
    return [line for line in blocks[0].splitlines() if line.strip() and not line.startswith("#")]


def test_readme_opens_with_demo_and_test_commands():
    demo_cmd, test_cmd = _first_commands()[:2]
    assert "pip install" in demo_cmd and demo_cmd.rstrip().endswith("stylelite demo")
    assert "pip install" in test_cmd and "pytest" in test_cmd


def test_ci_runs_the_readme_test_command():
    test_cmd = _first_commands()[1]
    ci = (ROOT / ".ci" / "run").read_text()
    assert test_cmd in ci


def test_readme_has_no_unfilled_placeholders():
    text = (ROOT / "README.md").read_text()
    assert not re.findall(r"\b(?:DEMO|TEACHER)_[A-Z]+\b", text)


def test_readme_is_short_and_points_into_the_docs():
    text = (ROOT / "README.md").read_text()
    assert len(text.splitlines()) <= 200, "the README is the front page: put the long form in docs/"
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text)
    assert any(link.startswith("docs/") and link.endswith(".md") for link in links)
    missing = [link for link in links if "://" not in link and not (ROOT / link).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"
