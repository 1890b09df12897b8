"""Signals that end captions-tui: each stops as cleanly as Ctrl+C.

SIGTERM (``kill``, a service manager) and SIGHUP (the terminal was closed)
release the device, close the session's journal and exit with ``128 +
signal number``, as shells report a death by signal. The headless commands
get them as :class:`StopRequested`, a ``KeyboardInterrupt``, so every clean-up
written for Ctrl+C runs for them too; the app handles them on its event loop.

A stop ends the process within 2 s at any stage: once the command's clean-up
has run it exits at once (tearing down an interpreter with torch loaded took
another 0.5-1.8 s on a busy machine), and a clean-up or a thread that does not
end by :data:`STOP_WITHIN_S` is cut short (a second SIGTERM used to be ignored
while a slow clean-up ran, until SIGKILL).
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import threading
import time
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
STOP_WITHIN_S = 1.5  # after a stop signal, the process ends by then, cleaned up or not


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
    signal.signal(signal.SIGINT, _interrupt)
    for signum in STOP_SIGNALS:
        signal.signal(signum, _raise_stop)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    end_by_deadline(signum)
    if not _after_import(signum, frame):
        raise KeyboardInterrupt


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    if signum == signal.SIGHUP:
        detach_terminal()
    end_by_deadline(signum)
    if _after_import(signum, frame):
        return
    for other in STOP_SIGNALS:  # one clean stop at a time (the deadline ends it anyway)
        signal.signal(other, signal.SIG_IGN)
    raise StopRequested(signum)


class _Stop:
    deadline: threading.Timer | None = None  # set by the first stop signal
    redelivery: threading.Thread | None = None  # the signal again once an import is done


def _after_import(signum: int, frame: FrameType | None) -> bool:
    """Whether the signal came inside an import and is put off until it ends (then it is
    delivered again): raised in the middle of torch's, its C++ aborted the process."""
    if not _importing(frame):
        return False
    if _Stop.redelivery is None:
        main = threading.get_ident()  # handlers run in the main thread

        def redeliver() -> None:
            while _importing(sys._current_frames().get(main)):
                time.sleep(0.01)
            _Stop.redelivery = None
            signal.pthread_kill(main, signum)  # to the main thread: wakes it from a wait

        _Stop.redelivery = threading.Thread(target=redeliver, name="stop-after-import", daemon=True)
        _Stop.redelivery.start()
    return True


def _importing(frame: FrameType | None) -> bool:
    """Whether ``frame``, or one that called it, runs an import."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def end_by_deadline(signum: int) -> None:
    """The process ends :data:`STOP_WITHIN_S` from now with ``128 + signum``, whatever its
    clean-up is doing then (the first stop's deadline holds)."""
    if _Stop.deadline is None:
        _Stop.deadline = threading.Timer(STOP_WITHIN_S, os._exit, (128 + signum,))
        _Stop.deadline.daemon = True
        _Stop.deadline.start()


def exit_if_stopped(status: int) -> int:
    """``status``; after a stop signal, the process ends here with it, its output flushed:
    the command has cleaned up, and the interpreter's teardown is not worth the wait."""
    if _Stop.deadline is not None:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(status)
    return status


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
