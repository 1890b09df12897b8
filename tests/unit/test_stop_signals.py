"""A stop signal ends the process within 2 s even when its clean-up would not (a decode that
takes minutes, a thread that never ends): a second SIGTERM used to be ignored until SIGKILL."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

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
