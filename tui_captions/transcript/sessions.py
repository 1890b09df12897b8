"""Saved sessions: finding journals in the sessions directory and loading one by id."""

from __future__ import annotations

import glob
from collections.abc import Callable
from pathlib import Path

from tui_captions.errors import UserError
from tui_captions.transcript.journal import SUFFIX, Session, read_journal, sessions_dir

LAST = "last"
RECORDING_SUFFIX = ".flac"


def recording_path(journal_path: Path) -> Path:
    """A session's audio lives next to its journal, under the same name."""
    return journal_path.with_suffix(RECORDING_SUFFIX)


def saved_recording(journal_path: Path) -> Path | None:
    """The session's recording, if it holds anything (a full disk can leave an empty file)."""
    path = recording_path(journal_path)
    try:
        return path if path.stat().st_size > 0 else None
    except OSError:
        return None


def list_sessions(
    directory: Path | None = None, on_skip: Callable[[str], None] | None = None
) -> list[tuple[Path, Session]]:
    """Every readable journal, oldest first; a file that is not one is left out (and told
    to ``on_skip``), so one bad file never hides the others."""
    found: list[tuple[Path, Session]] = []
    for path in (directory or sessions_dir()).glob(f"*{SUFFIX}"):
        try:
            found.append((path, read_journal(path)))
        except (OSError, ValueError) as exc:
            if on_skip is not None:
                on_skip(f"{path} skipped: not a readable session journal ({exc})")
    return sorted(found, key=lambda item: (item[1].started.timestamp(), item[1].id))


def load_session(ref: str, directory: Path | None = None) -> tuple[Path, Session]:
    """``ref`` is a session id (or its unique start, such as the date and time), ``last``,
    or the path of a journal file (one saved elsewhere)."""
    directory = directory or sessions_dir()
    if ref == LAST:
        sessions = list_sessions(directory)
        if not sessions:
            raise UserError(f"no saved sessions in {directory}")
        return sessions[-1]
    if ref.endswith(SUFFIX):
        path = Path(ref)
    else:
        exact = directory / f"{ref}{SUFFIX}"
        matches = (
            [exact] if exact.is_file() else sorted(directory.glob(f"{glob.escape(ref)}*{SUFFIX}"))
        )
        if len(matches) > 1:
            names = ", ".join(m.name.removesuffix(SUFFIX) for m in matches)
            raise UserError(f"{ref!r} could be any of {names}; give more of the id")
        path = matches[0] if matches else exact
    if not path.is_file():
        raise UserError(
            f"no session {ref!r} in {directory} (`captions-tui sessions` lists them; "
            f"or give 'last' or a journal file)"
        )
    try:
        return path, read_journal(path)
    except (OSError, ValueError) as exc:
        raise UserError(f"{path}: not a readable session journal ({exc})") from None
