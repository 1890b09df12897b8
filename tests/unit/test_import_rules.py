"""House rules on imports: core packages never pull in Textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import tui_captions

PACKAGE = Path(tui_captions.__file__).parent
CORE = ("audio", "asr", "transcript")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_sources_do_not_import_textual() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for core in CORE
        for path in sorted((PACKAGE / core).rglob("*.py"))
        if any(name.split(".")[0] == "textual" for name in imported_modules(path))
    ]
    assert offenders == []


def test_importing_every_core_module_loads_no_textual() -> None:
    modules = [
        f"tui_captions.{core}.{path.stem}"
        for core in CORE
        for path in sorted((PACKAGE / core).glob("*.py"))
        if path.stem != "__init__"
    ]
    assert len(modules) >= 8
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
