"""A really full disk (ENOSPC on a tiny tmpfs): the journal waits, then catches up.

Needs permission to mount (root in CI); RLIMIT_FSIZE tests of the same
behaviour run everywhere (tests/unit/test_transcript_journal.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from tui_captions.cli import main
from tui_captions.commands.app import lost_note, run_app
from tui_captions.commands.live import unsaved_note
from tui_captions.core.segments import Segment
from tui_captions.pipeline.recording import Recorder
from tui_captions.transcript.journal import SessionJournal, read_journal
from tui_captions.transcript.sessions import recording_path
from tui_captions.tui.app import AppOptions


def test_enospc_warns_once_keeps_segments_and_writes_them_when_space_returns(
    tiny_fs: Path,
) -> None:
    warnings: list[str] = []
    journal = SessionJournal.create("mic", "m", directory=tiny_fs, on_warning=warnings.append)
    filler = tiny_fs / "filler"
    with filler.open("wb", buffering=0) as f, pytest.raises(OSError, match="No space"):
        while True:  # fill the disk to the last page
            f.write(b"x" * 512)
    # The journal's last page still has room: append until it is used up.
    segments: list[Segment] = []
    while not warnings and len(segments) < 200:
        segments.append(Segment(len(segments), len(segments), len(segments) + 0.5, "word " * 10))
        journal.append(segments[-1])
    assert len(warnings) == 1
    assert "No space left on device" in warnings[0]
    assert journal.session().segments == tuple(segments)
    on_disk = read_journal(journal.path).segments
    assert on_disk == tuple(segments[: len(on_disk)]) and len(on_disk) < len(segments)
    assert journal.path.read_text().endswith("\n")  # no broken line

    journal.append(Segment(len(segments), 999.0, 999.5, "still full"))
    assert len(warnings) == 1  # one warning, not one per segment
    filler.unlink()
    journal.append(Segment(len(segments) + 1, 1000.0, 1000.5, "space again"))
    journal.close({"chunks": 6})
    session = read_journal(journal.path)
    assert [s.id for s in session.segments] == list(range(len(segments) + 2))
    assert not session.interrupted
    assert journal.warning is None


class ClosedApp:
    """The app as it returns after its session, with the journal it had (no terminal)."""

    return_code = 0

    def __init__(self, journal: SessionJournal) -> None:
        self.session = SimpleNamespace(journal_if_open=journal)
        self.journal = journal

    def run(self) -> Path:
        return self.journal.path


def test_a_full_disk_counts_the_lines_saved_and_lists_no_empty_recording(
    tiny_fs: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 36: the closing message said "not saved" when 27 of 47 lines were, and the
    0-byte .flac the recorder left was listed as the session's audio."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tiny_fs))
    warnings: list[str] = []
    journal = SessionJournal.create("mic", "m", on_warning=warnings.append)
    for number in range(3):
        journal.append(Segment(number, number, number + 0.5, "saved before the disk filled"))
    filler = tiny_fs / "filler"
    with filler.open("wb", buffering=0) as f, pytest.raises(OSError, match="No space"):
        while True:
            f.write(b"x" * 512)
    said = 3
    while not warnings or said < 10:  # the journal's last page, then a few lines more
        journal.append(Segment(said, said, said + 0.5, "word " * 10))
        said += 1
    recorder = Recorder(recording_path(journal.path), 16_000, on_warning=warnings.append)
    recorder.write(np.zeros(2560, np.float32))
    recorder.close()
    assert recorder.warning is not None and "No space left on device" in recorder.warning
    assert not recording_path(journal.path).exists()

    journal.append(Segment(said, said, said + 0.5, "an echo the app never showed", echo=True))
    said += 1
    saved = len(read_journal(journal.path).segments)
    assert 3 <= saved < said - 1
    assert unsaved_note(journal) == (  # live never printed the echo either
        f"session {journal.id}: {saved} of {said - 1} lines saved in {journal.path} "
        "(No space left on device); the output above has them all"
    )
    # The app printed no transcript: its closing line counts the shown lines it loses.
    monkeypatch.setattr("tui_captions.tui.app.CaptionsApp", lambda options: ClosedApp(journal))
    assert run_app(AppOptions("m", 1, 1)) == 0
    printed = capsys.readouterr()
    assert "Transcript saved" not in printed.out
    assert printed.err == (
        f"captions-tui: warning: session {journal.id}: {said - 1 - saved} of {said - 1} lines "
        f"could not be saved (No space left on device) and are lost; the {saved} before them "
        f"are in {journal.path}\n"
    )
    filler.unlink()
    journal.close({})  # space again: the rest is written
    assert journal.saved_lines() == (said - 1, said - 1)  # the lines shown: not the echo
    recording_path(journal.path).touch()  # as the recorder left it before
    assert main(["sessions", "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)
    assert (row["journal"], row["segments"]) == (str(journal.path), said - 1)  # not the echo
    assert row["recording"] is None


def test_the_apps_closing_line_counts_the_shown_lines_it_loses(tmp_path: Path) -> None:
    """Issue 36: the app said "the output above has them all" and counted echo lines,
    though it printed nothing and never showed an echo."""
    blocker = tmp_path / "not-a-dir"  # a file where the directory should be: nothing saved
    blocker.write_text("")
    journal = SessionJournal.create("You, Them", "m", directory=blocker / "sessions")
    journal.append(Segment(0, 0.0, 1.0, "hello all", "Them"))
    journal.append(Segment(1, 0.1, 1.1, "hello all", "You", echo=True))
    journal.append(Segment(2, 2.0, 3.0, "shall we start", "You"))
    assert lost_note(journal) == (
        f"session {journal.id}: 2 of 2 lines could not be saved (Not a directory) and are "
        "lost; none was saved"
    )
