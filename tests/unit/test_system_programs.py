"""No hidden system tools: every program the code starts is in the one list the set-up installs.

The package, the tools, the benchmarks and the tests are read as Python
syntax trees; each ``subprocess`` call and each ``shutil.which`` names its
program as a literal, a list starting with one, or a variable bound to such
(assigned or looped over). Our own interpreter (``sys.executable`` and the
scripts beside it) needs no package, and the set-up itself
(``tools/system_deps.py``, which probes and runs the platform's installer)
is not scanned. A call whose program cannot be worked
out fails the test too, so a new one is looked at rather than missed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tools.system_deps import read_packages

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("tui_captions", "tools", "bench", "tests")
SET_UP = Path("tools/system_deps.py")
SUBPROCESS_CALLS = {"run", "Popen", "check_output", "check_call", "call"}
OWN = "<our python>"


def started_programs(source: str, filename: str) -> Iterator[tuple[int, str]]:
    """(line, program) for each program ``source`` starts or looks up; ``?expr`` if unknown."""
    tree = ast.parse(source, filename=filename)
    bindings: dict[str, list[ast.expr]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bindings.setdefault(target.id, []).append(node.value)
        elif (
            isinstance(node, (ast.For, ast.comprehension))
            and isinstance(node.target, ast.Name)
            and isinstance(node.iter, (ast.Tuple, ast.List))
        ):
            bindings.setdefault(node.target.id, []).extend(node.iter.elts)

    def resolve(expr: ast.expr, seen: frozenset[str] = frozenset()) -> list[str]:
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return [expr.value.split()[0]]
        if "sys.executable" in ast.unparse(expr):
            return [OWN]
        if isinstance(expr, (ast.List, ast.Tuple)) and expr.elts:
            return resolve(expr.elts[0], seen)
        if isinstance(expr, ast.Starred):
            return resolve(expr.value, seen)
        if isinstance(expr, ast.BinOp):
            return resolve(expr.left, seen)
        if isinstance(expr, ast.Name) and expr.id in bindings and expr.id not in seen:
            seen |= {expr.id}
            return [name for value in bindings[expr.id] for name in resolve(value, seen)]
        return [f"?{ast.unparse(expr)}"]

    calls = sorted(
        (node for node in ast.walk(tree) if isinstance(node, ast.Call)),
        key=lambda node: (node.lineno, node.col_offset),
    )
    for call in calls:
        func = call.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and call.args):
            continue
        if (func.value.id, func.attr) == ("shutil", "which") or (
            func.value.id == "subprocess" and func.attr in SUBPROCESS_CALLS
        ):
            for program in resolve(call.args[0]):
                yield call.lineno, program


def listed_programs() -> set[str]:
    return {program for package in read_packages() for program in package.programs()}


def scan_tree() -> dict[str, list[str]]:
    """program -> where it is started (path:line)."""
    found: dict[str, list[str]] = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative == SET_UP:
                continue
            for line, program in started_programs(path.read_text(), str(relative)):
                found.setdefault(program, []).append(f"{relative}:{line}")
    return found


def test_every_started_program_is_installed_by_the_set_up() -> None:
    found = scan_tree()
    # The scan sees what the suite is known to start; an empty scan proves nothing.
    assert {"espeak-ng", "pulseaudio", "pactl", "paplay", "tmux", OWN} <= found.keys()
    unlisted = {
        program: places
        for program, places in found.items()
        if program != OWN and program not in listed_programs()
    }
    assert unlisted == {}, "add these to tools/system-packages.txt, or start no such program"


def test_the_scan_names_an_unlisted_program_and_an_unknown_call() -> None:
    source = (
        "import shutil, subprocess, sys\n"
        "subprocess.run(['sox', '-D', 'in.wav', 'out.raw'])\n"
        "for tool in ('lame', 'flac'):\n"
        "    shutil.which(tool)\n"
        "subprocess.Popen([sys.executable, '-c', 'pass'])\n"
        "subprocess.run(make_command())\n"
    )
    assert list(started_programs(source, "example.py")) == [
        (2, "sox"),
        (4, "lame"),
        (4, "flac"),
        (5, OWN),
        (6, "?make_command()"),
    ]


def test_ci_runs_the_readme_test_command_and_nothing_else() -> None:
    steps = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert steps[-1] == "make test"
    assert not any("apt-get" in step for step in steps)
    assert "make test" in (ROOT / "README.md").read_text()
