"""Signals that end captions-tui: each stops as cleanly as Ctrl+C.

SIGTERM (``kill``, a service manager) and SIGHUP (the terminal was closed)
release the device, close the session's journal and exit with ``128 +
signal number``, as shells report a death by signal. The headless commands
get them as :class:`StopRequested`, a ``KeyboardInterrupt``, so every clean-up
written for Ctrl+C runs for them too; the app handles them on its event loop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class StopRequested(KeyboardInterrupt):
    """A stop signal arrived; ``signum`` says which."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def exit_status(interrupt: KeyboardInterrupt) -> int:
    """130 for Ctrl+C (SIGINT), 143 for SIGTERM, 129 for SIGHUP."""
    return 128 + (interrupt.signum if isinstance(interrupt, StopRequested) else signal.SIGINT)


def stop_on_signals() -> None:
    """Headless commands: Ctrl+C, SIGTERM and SIGHUP raise in the main thread."""
    # Ctrl+C must work even when started from a context that ignores SIGINT
    # (a non-interactive shell's background job passes SIG_IGN on to its children).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stop)


def _raise_stop(signum: int, _frame: object) -> None:
    for other in STOP_SIGNALS:  # one clean stop at a time (SIGKILL still ends it)
        signal.signal(other, signal.SIG_IGN)
    if signum == signal.SIGHUP:
        detach_terminal()
    raise StopRequested(signum)


def detach_terminal() -> None:
    """After a hang-up, output to the closed terminal fails: send it nowhere instead,
    so that stopping cleanly cannot fail on a write (files and pipes keep theirs).

    The descriptors themselves, not ``sys.stdout``: the app's screen is written to
    the process's stderr by a thread of Textual's, behind its own print capture.
    """
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            if stat.S_ISCHR(os.fstat(fd).st_mode):
                os.dup2(os.open(os.devnull, os.O_WRONLY), fd)
