"""Writing a transcript where the user asked for it: whole, or not at all.

The text goes to a hidden file beside the target, which is renamed onto the
target once everything is written, so a failure (a full disk, a Ctrl+C
during an export, a crash) never leaves a half-written file under the name
the user gave; any problem with the path becomes one line that names it and
says what to do. A session's journal is never written over: it is the
session itself.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from tui_captions.errors import UserError
from tui_captions.transcript.journal import parse_journal

HEADER_MAX_CHARS = 1 << 16  # a journal's first line is its header: a few hundred bytes


def check_output(path: Path) -> None:
    """Fail now, before slow work, for a path that cannot become a file or is a journal."""
    if path.is_dir():
        raise _refused(path, IsADirectoryError(errno.EISDIR, "is a folder"))
    if not path.parent.is_dir():
        raise _refused(path, FileNotFoundError(errno.ENOENT, "no such folder"))
    if (session := _journal_of(path)) is not None:
        raise UserError(
            f"will not write over {path}: it is the journal of session {session}, and the "
            f"session would be lost; give another file name"
        )


def _journal_of(path: Path) -> str | None:
    """The id of the session whose journal ``path`` is, or None for any other file (a pipe
    or a device is never read: it could block forever)."""
    if not path.is_file():
        return None
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            header = file.readline(HEADER_MAX_CHARS)
        return parse_journal([header]).id
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def written_whole(path: Path) -> Iterator[TextIO]:
    """A text file that appears at ``path`` only when the block ends without an exception."""
    check_output(path)
    partial = path.with_name(f".{path.name}.partial-{os.getpid()}")
    try:
        out = partial.open("w", encoding="utf-8")
    except OSError as exc:
        raise _refused(path, exc) from None
    try:
        with out:
            yield out
        partial.replace(path)
    except OSError as exc:
        raise _refused(path, exc) from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()


def _refused(path: Path, exc: OSError) -> UserError:
    """What went wrong with ``path``, and what to do, in one line."""
    reason = exc.strerror or str(exc)
    if exc.errno == errno.EISDIR or path.is_dir():
        advice = f"{path} is a folder: give a file name in it, e.g. {path / 'transcript.txt'}"
    elif exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        advice = "the disk is full: free some space or write somewhere else; nothing was written"
    elif not path.parent.is_dir():
        advice = f"the folder {path.parent} does not exist: create it or choose another"
    elif exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        advice = f"the folder {path.parent} cannot be written to: choose another"
    else:
        advice = f"a file cannot be created in {path.parent}: choose another folder"
    return UserError(f"cannot write {path} ({reason}); {advice}")
