"""A stop signal ends the process within 2 s even when its clean-up would not (a decode that
takes minutes, a thread that never ends): a second SIGTERM used to be ignored until SIGKILL."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

# A command whose clean-up never ends, stopped as the CLI stops its commands.
HANGING_CLEAN_UP = """
import time
from tui_captions.signals import stop_on_signals
stop_on_signals()
try:
    print("ready", flush=True)
    time.sleep(60)
except KeyboardInterrupt:
    time.sleep(60)
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_clean_up_that_hangs_is_cut_short(signum: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", HANGING_CLEAN_UP],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "ready\n"
    sent = time.monotonic()
    process.send_signal(signum)
    try:
        _, stderr = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 128 + signum, stderr
    assert time.monotonic() - sent <= 2.0


# A module that is sent a stop signal while it is being imported.
STOPS_ITSELF = """
import os
os.kill(os.getpid(), {signum})
total = sum(range(100_000))  # Python runs on in the import: a signal is handled here
"""
IMPORTS_IT = """
import sys, time
from tui_captions.signals import stop_on_signals
stop_on_signals()
sys.path.insert(0, sys.argv[1])
try:
    import stops_itself
    time.sleep(10)
except KeyboardInterrupt:
    print("imported" if "stops_itself" in sys.modules else "cut short", flush=True)
"""


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_waits_for_the_import_under_way(signum: int, tmp_path: Path) -> None:
    """Raised in the middle of torch's import, a stop made its C++ abort the process (exit
    -6, "terminate called after throwing"): it is raised once the import is done."""
    (tmp_path / "stops_itself.py").write_text(STOPS_ITSELF.format(signum=int(signum)))
    result = subprocess.run(
        [sys.executable, "-c", IMPORTS_IT, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert result.stdout == "imported\n", result.stderr
