"""What the end-to-end tests share: a terminal (tmux) of their own."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from tests.terminal import Terminal


@pytest.fixture
def terminal() -> Iterator[Terminal]:
    """A tmux server of the test's own, killed afterwards with whatever still runs in it."""
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed (apt-get install tmux)")
    term = Terminal(f"captions-e2e-{os.getpid()}")
    yield term
    subprocess.run(["tmux", "-L", term.socket, "kill-server"], capture_output=True, check=False)
