"""The command line run in the test's own process, for the tests whose subject is what a
command prints and returns: torch and the engines are loaded already, where a process of
its own spends 3-4 s starting. Tests of the process itself (signals, a closed pipe, what
outlives it, a dead process) start one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tui_captions.cli import main


def run_cli(
    capsys: pytest.CaptureFixture[str], *args: str | Path
) -> subprocess.CompletedProcess[str]:
    """``captions-tui ARGS`` here: its exit status, stdout and stderr, as a process's."""
    argv = [str(arg) for arg in args]
    capsys.readouterr()
    try:
        status = main(argv)
    except SystemExit as refused:  # argparse's own errors, as the process would exit
        status = refused.code if isinstance(refused.code, int) else 2
    printed = capsys.readouterr()
    return subprocess.CompletedProcess(["captions-tui", *argv], status, printed.out, printed.err)


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused command prints (exit 2, no traceback)."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("captions-tui: error: "), lines
    return lines[0]
