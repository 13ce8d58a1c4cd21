"""The layering contract, read statically from every file's imports (AST), `import_module`/`require`
strings and dotted `stylelite.…` module strings included:

    runtime       -> stdlib and its own engines and I/O libraries only (never torch, never an upper layer)
    models        -> runtime
    export, distill -> models, runtime (never each other)
    benchmark     -> runtime
    device_tests  -> benchmark, runtime
    reports       -> benchmark, runtime
    cli           -> any
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYERS = ("runtime", "models", "export", "distill", "benchmark", "device_tests", "reports", "workflows", "cli")
ALLOWED = {
    "runtime": {"runtime"},
    "models": {"models", "runtime"},
    "export": {"export", "models", "runtime"},
    "distill": {"distill", "models", "runtime"},
    "benchmark": {"benchmark", "runtime"},
    "device_tests": {"device_tests", "benchmark", "runtime"},
    "reports": {"reports", "benchmark", "runtime"},
    "workflows": {"workflows", "distill", "export", "benchmark", "device_tests", "reports", "models", "runtime"},
    "cli": set(LAYERS),
}
# What the runtime may import besides the standard library: the base install (numpy, OpenCV, onnxruntime,
# PyAV, tqdm, tomli), LiteRT (the litert extra) and the live page's server (the serve extra).
RUNTIME_THIRD_PARTY = {"numpy", "cv2", "onnxruntime", "av", "tqdm", "tomli", "ai_edge_litert", "fastapi", "uvicorn"}
PROJECT = set(LAYERS) | {"stylelite", "tests"}
MODULE_STRING = re.compile(r"^stylelite(\.\w+)+(:\w+)?$")
STRING_IMPORTERS = {"import_module", "__import__", "require", "find_spec"}


def _layer_files(layer: str) -> list[Path]:
    return sorted(p for p in (ROOT / "stylelite" / layer).rglob("*.py") if "__pycache__" not in p.parts)


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, module) for every import, import_module/require string and dotted stylelite module string."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import; write stylelite.<layer>.…"
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in STRING_IMPORTERS and node.args and isinstance(node.args[0], ast.Constant):
                if isinstance(node.args[0].value, str):
                    out.append((node.lineno, node.args[0].value))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and MODULE_STRING.match(node.value):
            out.append((node.lineno, node.value.split(":")[0]))
    return sorted(set(out))


def violations(layer: str) -> list[str]:
    bad = []
    for path in _layer_files(layer):
        rel = path.relative_to(ROOT)
        for line, module in imported_modules(path):
            parts = module.split(".")
            top = parts[0]
            if top in PROJECT - {"stylelite"}:
                bad.append(f"{rel}:{line}: imports {module}; write stylelite.{module}")
            elif top == "stylelite" and len(parts) > 1 and parts[1] in LAYERS and parts[1] not in ALLOWED[layer]:
                bad.append(f"{rel}:{line}: {layer} may not import {module}")
            elif layer == "runtime" and top not in sys.stdlib_module_names and top != "stylelite":
                if top not in RUNTIME_THIRD_PARTY:
                    bad.append(f"{rel}:{line}: the runtime may not import {module}")
    return bad


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_follow_the_contract(layer):
    assert _layer_files(layer), f"no files in {layer}/"
    assert violations(layer) == []


def test_the_contract_sees_string_imports(tmp_path, monkeypatch):
    # A file that reaches up by string, by require() and by a dotted entry-point string is caught.
    (tmp_path / "stylelite" / "runtime").mkdir(parents=True)
    (tmp_path / "stylelite" / "runtime" / "sneaky.py").write_text(
        "import importlib\nfrom stylelite.runtime.errors import require\n"
        "importlib.import_module('stylelite.export.api')\nrequire('torch', 'train')\n"
        "ENTRY = 'stylelite.distill.trainers.pix2pix:Pix2PixTrainer'\nimport runtime.video\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    found = violations("runtime")
    assert len(found) == 4, found
    assert any("stylelite.export.api" in v for v in found) and any("torch" in v for v in found)
    assert any("stylelite.distill.trainers.pix2pix" in v for v in found) and any("write stylelite" in v for v in found)


def test_every_layer_is_a_real_folder_of_the_one_package():
    # Real folders, not links: grep, find, tracebacks, wheels and Windows checkouts all see one path per file.
    for layer in LAYERS:
        folder = ROOT / "stylelite" / layer
        assert folder.is_dir() and not folder.is_symlink() and (folder / "__init__.py").is_file(), layer
        assert not (ROOT / layer).exists(), f"{layer}/ at the repository root: layers live in stylelite/"


def test_runtime_and_run_load_no_torch():
    check = (
        "import sys\nimport stylelite.runtime.stylize, stylelite.runtime.engines, stylelite.runtime.flicker\n"
        "import stylelite.benchmark.host_bench, stylelite.device_tests.remote_bench, stylelite.reports.report\n"
        "from stylelite.cli.main import main\n"
        "try:\n    main(['run', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('HEAVY:' + ','.join(m for m in ('torch', 'tensorflow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY:"


def actual_layer_imports(layer: str) -> set[str]:
    """The other stylelite layers that `layer`'s files import."""
    deps = set()
    for path in _layer_files(layer):
        for _, module in imported_modules(path):
            parts = module.split(".")
            if parts[0] == "stylelite" and len(parts) > 1 and parts[1] in LAYERS and parts[1] != layer:
                deps.add(parts[1])
    return deps


def test_docs_layout_table_is_the_real_import_graph():
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = text[text.index("## Layout") :]
    rows = dict(re.findall(r"^\| `(\w+)/` \| .*? \| ([^|]*) \|$", table, re.M))
    assert set(LAYERS) <= set(rows), f"layers missing from the Layout table: {set(LAYERS) - set(rows)}"
    for layer in LAYERS:
        cell = rows[layer]
        said = set(LAYERS) - {layer} if cell.startswith("every layer") else set(re.findall(r"\b(\w+)\b", cell))
        said &= set(LAYERS)
        assert said == actual_layer_imports(layer), f"docs/architecture.md Layout row {layer}/ says {sorted(said)}"
        assert said <= ALLOWED[layer]
