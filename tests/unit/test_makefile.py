"""What ``make run`` and ``make test`` would install, read from ``make -n`` (nothing runs)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def installs(target: str) -> list[str]:
    """The pip installs of ``make TARGET`` on a fresh checkout (-B: as if nothing were
    installed yet), one per line."""
    dry_run = subprocess.run(
        ["make", "-n", "-B", "-C", str(ROOT), target],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in dry_run.stdout.splitlines() if "pip install" in line]


def test_make_run_installs_the_apps_locked_set_without_the_test_tools() -> None:
    run = installs("run")
    assert any("--require-hashes" in line and "requirements/run.txt" in line for line in run)
    assert not [line for line in run if "test.txt" in line or "[test]" in line], run


def test_make_test_installs_the_locked_test_set_then_the_project_alone() -> None:
    test = installs("test")
    locked = [n for n, line in enumerate(test) if "-r requirements/test.txt" in line]
    project = [n for n, line in enumerate(test) if line.rstrip().endswith("--no-deps -e .")]
    assert locked and project and locked[0] < project[0], test
    assert all("--require-hashes" in test[n] for n in locked)
