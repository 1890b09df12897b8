"""Waiting for what a test observes (a line out of a process, a line in its journal) with a
deadline, instead of sleeping a fixed time that is too long on a quiet machine and too
short on a busy one."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from tui_captions.core.segments import Segment
from tui_captions.transcript.journal import read_journal


def wait_until(condition: Callable[[], bool], what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within {timeout:.0f} s")
        time.sleep(0.05)


def journaled(sessions: Path) -> tuple[Segment, ...]:
    """The final lines of the one journal in ``sessions`` so far (none before it is made)."""
    journals = list(sessions.glob("*.jsonl"))
    try:
        return read_journal(journals[0]).segments if len(journals) == 1 else ()
    except ValueError:  # created a moment ago: its header is not written yet
        return ()


class OutputLines:
    """A process's output, read line by line on a thread of its own: a test waits for a
    line with a deadline (``readline`` alone would wait for ever) and still gets them all."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._reader.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.append(line)

    def wait_for(self, condition: Callable[[list[str]], bool], what: str, timeout: float) -> None:
        """Until ``condition`` holds for the lines so far; fails at the deadline, or at once
        if the output ends without it."""
        wait_until(lambda: condition(self.lines) or not self._reader.is_alive(), what, timeout)
        assert condition(self.lines), f"the output ended before {what}: {self.lines}"

    def all(self, timeout: float) -> str:
        """Every line, once the output has ended (the process closed it)."""
        self._reader.join(timeout)
        assert not self._reader.is_alive(), f"the output did not end within {timeout:.0f} s"
        return "".join(self.lines)
