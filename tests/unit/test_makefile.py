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


def test_make_run_installs_the_app_without_the_test_tools() -> None:
    run = installs("run")
    assert any(line.split("-e ", 1)[-1].startswith(". ") for line in run), run
    assert not [line for line in run if "[test]" in line]


def test_make_test_still_installs_the_test_tools_after_the_app() -> None:
    test = installs("test")
    extra = [n for n, line in enumerate(test) if "'.[test]'" in line]
    app = [n for n, line in enumerate(test) if line.split("-e ", 1)[-1].startswith(". ")]
    assert extra and app and app[0] < extra[0], test
