"""One log file for the whole program, so a user has one file to look at or send.

It always takes the warnings and errors logged (with their tracebacks: the app's screen
and a headless command's one-line errors cannot show them), and with ``--debug`` (or
``CAPTIONS_TUI_DEBUG=1``) what the capture workers, engines, server, downloads and
sessions did. It is only created when something is written; messages name it then.
"""

from __future__ import annotations

import logging
import os
import sys
from io import TextIOWrapper
from pathlib import Path

PACKAGE = "tui_captions"  # the loggers whose records the file takes
DEBUG_VARIABLE = "CAPTIONS_TUI_DEBUG"
FORMAT = "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"
# ``extra=FILE_ONLY``: a record whose one line a caller says in its own words (the session's
# warning), kept in the file with its traceback but not echoed on stderr as well.
FILE_ONLY = {"file_only": True}


class LogFile(logging.FileHandler):
    """The file, opened (and its folder made) at the first record: a quiet run leaves none."""

    def __init__(self, path: Path, debug: bool) -> None:
        super().__init__(path, delay=True, encoding="utf-8")
        self.path = path
        self.setLevel(logging.DEBUG if debug else logging.WARNING)
        self.setFormatter(logging.Formatter(FORMAT))

    def _open(self) -> TextIOWrapper:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    @property
    def written(self) -> bool:
        return self.stream is not None


def debug_requested(option: bool) -> bool:
    """``--debug``, or the environment variable set to anything but empty or 0."""
    return option or os.environ.get(DEBUG_VARIABLE, "") not in ("", "0")


class _Echo(logging.StreamHandler):  # type: ignore[type-arg]
    """Warnings and errors on stderr, for a command with no screen to show them: one line
    each, their tracebacks left to the file."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not getattr(record, "file_only", False) and bool(super().filter(record))

    def format(self, record: logging.LogRecord) -> str:
        return f"captions-tui: {record.getMessage()}"


def start(path: Path, debug: bool) -> None:
    """Send the package's records to ``path`` from now on, replacing the file (and the echo)
    started before: the tests run the command line many times in one process."""
    package = logging.getLogger(PACKAGE)
    for old in [h for h in package.handlers if isinstance(h, (LogFile, _Echo))]:
        package.removeHandler(old)
        if isinstance(old, LogFile):
            old.close()
    package.addHandler(LogFile(path, debug))
    package.setLevel(logging.DEBUG if debug else logging.NOTSET)


def ensure(path: Path) -> Path:
    """The file records go to: the one the command line started, else ``path`` from now on
    (an app run without the command line, as the tests do)."""
    if not _installed():
        start(path, debug=False)
    return _installed()[0].path


def mention(message: str) -> str:
    """``message``, naming the log file if this run wrote anything there."""
    written = [handler.path for handler in _installed() if handler.written]
    return f"{message} (log: {written[0]})" if written else message


def echo_to_stderr() -> None:
    """Warnings and errors on stderr too, for a headless command that has no screen."""
    handler = _Echo(sys.stderr)
    handler.setLevel(logging.WARNING)
    logging.getLogger(PACKAGE).addHandler(handler)


def _installed() -> list[LogFile]:
    return [h for h in logging.getLogger(PACKAGE).handlers if isinstance(h, LogFile)]
