"""The command line run in the test's own process, for the tests whose subject is what a
command prints and returns: torch and the engines are loaded already, where a process of
its own spends 3-4 s starting. Tests of the process itself (signals, a closed pipe, what
outlives it, a dead process) start one."""

from __future__ import annotations

import gc
import logging
import signal
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tui_captions.cli import main
from tui_captions.core.logfile import PACKAGE, LogFile
from tui_captions.signals import STOP_SIGNALS

# What Python's default warning filters ignore; a process prints any other warning once.
HIDDEN_WARNINGS = (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning)
HANDLED_SIGNALS = (signal.SIGINT, *STOP_SIGNALS)


def run_cli(
    capfd: pytest.CaptureFixture[str], *args: str | Path
) -> subprocess.CompletedProcess[str]:
    """``captions-tui ARGS`` here: its exit status, stdout and stderr as a process's, the
    file descriptors' included (native libraries write there), and the Python warnings a
    process would print."""
    argv = [str(arg) for arg in args]
    capfd.readouterr()
    with _as_a_process() as shown:
        try:
            status = main(argv)
        except SystemExit as ended:  # argparse's own errors, as the process would exit
            status = 0 if ended.code is None else ended.code if isinstance(ended.code, int) else 1
    printed = capfd.readouterr()
    return subprocess.CompletedProcess(
        ["captions-tui", *argv], status, printed.out, "".join(shown) + printed.err
    )


@contextmanager
def _as_a_process() -> Iterator[list[str]]:
    """Python's default warning filters while the command runs (the warnings it would print
    are yielded), and what it sets for its whole process put back after it: signal
    handlers, a stderr echo of the log, a frozen heap; the test's process goes on."""
    handlers = {signum: signal.getsignal(signum) for signum in HANDLED_SIGNALS}
    package = logging.getLogger(PACKAGE)
    before = list(package.handlers)
    shown: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.resetwarnings()
            warnings.simplefilter("default")
            for category in HIDDEN_WARNINGS:
                warnings.filterwarnings("ignore", category=category)
            yield shown
    finally:
        shown += [
            warnings.formatwarning(w.message, w.category, w.filename, w.lineno, w.line)
            for w in caught
        ]
        for signum, handler in handlers.items():
            if handler is not None and signal.getsignal(signum) is not handler:
                signal.signal(signum, handler)
        for added in [h for h in package.handlers if h not in before]:
            if not isinstance(added, LogFile):  # the echo to a stderr the test captured
                package.removeHandler(added)
        gc.unfreeze()


def one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The one line a refused command prints (exit 2, no traceback)."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("captions-tui: error: "), lines
    return lines[0]
