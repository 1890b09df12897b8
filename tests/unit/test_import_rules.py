"""House rules on imports: core packages never pull in Textual; engines stay apart; a
sherpa-onnx model runs without torch."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import tui_captions

PACKAGE = Path(tui_captions.__file__).parent
CORE = ("audio", "asr", "transcript", "text", "vision", "speakers")
TINY_SHERPA = Path(__file__).parents[1] / "fixtures" / "tiny-sherpa"


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
        module_name(path)
        for core in CORE
        for path in sorted((PACKAGE / core).rglob("*.py"))
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


# Arrows one way: a package imports only from lower ranks (and from itself). The user-error
# types import nothing and everything may raise them (-1); the leaf (shared types, paths,
# signals, the face crop) is 0; the core packages 1 (``text``, the
# post-processing of final lines, is one), never each other; the pipeline, the settings
# and the web server 2; the app 3; the commands 4 (they start the app); the CLI 5.
RANKS = {
    "__init__": 0,
    "core": 0,
    "errors": -1,
    "paths": 0,
    "signals": 0,
    "vision": 0,
    "audio": 1,
    "asr": 1,
    "transcript": 1,
    "text": 1,
    "speakers": 1,
    "config": 2,
    "pipeline": 2,
    "web": 2,
    "tui": 3,
    "commands": 4,
    "cli": 5,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports, however (top level, lazily, for types)."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from package import module` imports the module too
                imported.add(node.module)
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {module for module in imported if module in modules} - {name}
    return graph


def top_package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_package_has_a_rank() -> None:
    tops = {top_package(module) for module in import_graph()}
    assert tops - {"demo", "themes"} == set(RANKS)


def test_imports_point_down_the_layers_only() -> None:
    upward = sorted(
        f"{importer} -> {imported}"
        for importer, targets in import_graph().items()
        for imported in targets
        if top_package(importer) != top_package(imported)
        and RANKS[top_package(imported)] >= RANKS[top_package(importer)]
    )
    assert upward == []


def test_no_import_cycles() -> None:
    graph = import_graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert cycles == []


# The engines: one package each under asr/; asr/'s own modules are the seam and what every
# engine shares. Only the registry (which maps formats to loaders) and the catalog (which
# builds and checks the named models' directories) know the engines.
ENGINE_PACKAGES = ("avsr", "emformer", "sherpa", "wav2vec2")
KNOWS_THE_ENGINES = ("tui_captions.asr.catalog", "tui_captions.asr.registry")


def engine_of(module: str) -> str | None:
    parts = module.split(".")
    if parts[:2] == ["tui_captions", "asr"] and len(parts) > 2 and parts[2] in ENGINE_PACKAGES:
        return parts[2]
    return None


def test_every_engine_has_its_package() -> None:
    packages = {path.parent.name for path in (PACKAGE / "asr").glob("*/__init__.py")}
    assert packages == set(ENGINE_PACKAGES)


def test_an_engine_never_imports_another_engine() -> None:
    crossing = sorted(
        f"{importer} -> {imported}"
        for importer, targets in import_graph().items()
        for imported in targets
        if engine_of(importer) and engine_of(imported) not in (None, engine_of(importer))
    )
    assert crossing == []


def test_the_seam_imports_no_engine_but_through_the_registry_and_catalog() -> None:
    reaching = sorted(
        f"{importer} -> {imported}"
        for importer, targets in import_graph().items()
        for imported in targets
        if importer.startswith("tui_captions.asr.")
        and engine_of(importer) is None
        and importer not in KNOWS_THE_ENGINES
        and engine_of(imported)
    )
    assert reaching == []


@pytest.mark.parametrize(
    "command", [["transcribe", "{wav}"], ["live", "--input", "{wav}", "--input-speed", "4"]]
)
def test_a_sherpa_model_captions_without_importing_torch(
    command: list[str], speech_wav: Path
) -> None:
    """sherpa-onnx runs on ONNX Runtime: its users never wait the seconds torch takes to
    import. Blocked in a fresh process, any import of torch would fail the command."""
    argv = [word.format(wav=speech_wav) for word in command] + ["--model", str(TINY_SHERPA)]
    code = (
        "import sys\n"
        "sys.modules['torch'] = None\n"
        "from tui_captions.cli import main\n"
        f"sys.exit(main({argv!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "quick brown" in result.stdout.lower()
