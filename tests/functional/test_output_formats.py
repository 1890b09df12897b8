"""No command writes over a session's journal: it is the session itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_captions.cli import main
from tui_captions.core.segments import Segment
from tui_captions.transcript.journal import SessionJournal


@pytest.fixture
def journal(tmp_path: Path) -> SessionJournal:
    journal = SessionJournal.create("talk.wav", "demo-tiny", directory=tmp_path / "sessions")
    journal.append(Segment(0, 0.5, 2.0, "hello there", display="Hello there."))
    journal.append(Segment(1, 3.0, 4.5, "fish and chips", display="Fish & chips."))
    journal.close({"chunks": 30})
    return journal


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("captions-tui: error: "), lines
    return lines[0]


def test_no_command_writes_over_a_journal(
    journal: SessionJournal,
    speech_wav: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``export -o`` naming the session's own journal replaced the session with its text."""
    kept = journal.path.read_bytes()
    other = SessionJournal.create("mic", "demo-tiny", directory=tmp_path / "sessions")
    for command in (
        ["export", str(journal.path), "-o", str(journal.path)],
        ["export", str(journal.path), "-o", str(other.path)],
        ["transcribe", str(speech_wav), "-o", str(journal.path)],
    ):
        assert main(command) == 2
        assert "it is the journal of session" in one_line(capsys)
    assert journal.path.read_bytes() == kept
    assert other.path.read_text().startswith('{"type": "session"')
