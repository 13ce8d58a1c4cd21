"""The documentation site builds with `mkdocs build --strict`: a broken link, a page missing from the nav, an
anchor that is not there or an API reference that no longer resolves fails here. The command-line reference is
generated at build time from the parsers, so it is checked to hold every verb and a few real options."""

import subprocess
import sys

from stylelite.cli.main import COMMANDS
from tests.conftest import ROOT


def test_docs_site_builds_strictly(tmp_path):
    site = tmp_path / "site"
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(ROOT / "mkdocs.yml"), "-d", str(site)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    cli = (site / "reference" / "cli" / "index.html").read_text()
    for verb in COMMANDS:
        assert f"stylelite {verb}</code>" in cli, f"the generated CLI reference has no section for {verb}"
    for option in ("--process-size", "--teacher-card", "--precision", "--budget-ms", "--key-map"):
        assert option in cli, f"the generated CLI reference lacks {option}"
    api = (site / "reference" / "python-api" / "index.html").read_text()
    assert "export_model" in api and "StyleliteError" in api
    assert not list(site.rglob("hooks/*")), "the build hook is not part of the site"
