"""The session journal on real files: header, segments, end line, reading back, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui_captions import __version__
from tui_captions.errors import UserError
from tui_captions.transcript.journal import SessionJournal, parse_journal, read_journal
from tui_captions.transcript.segments import Segment

SEGMENTS = [
    Segment(0, 0.32, 1.6, "hello there"),
    Segment(1, 2.4, 4.0, "i'm fine thanks"),
    Segment(2, 5.12, 7.04, "see you"),
]


def lines_of(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_journal_lines_on_disk(tmp_path: Path) -> None:
    journal = SessionJournal.create("talk.wav", "demo-tiny", directory=tmp_path)
    assert journal.path.parent == tmp_path
    assert journal.path.name == f"{journal.id}.jsonl"
    header = lines_of(journal.path)[0]
    assert header["type"] == "session"
    assert header["source"] == "talk.wav"
    assert header["model"] == "demo-tiny"
    assert header["app_version"] == __version__
    assert header["id"] == journal.id
    for segment in SEGMENTS:
        journal.append(segment)
        # durable before append returns: a reader sees it at once
        assert lines_of(journal.path)[-1]["text"] == segment.text
    journal.close({"latency_ms_p50": 12.5, "chunks": 40, "empty": float("nan")})
    records = lines_of(journal.path)
    assert [r["type"] for r in records] == ["session", "final", "final", "final", "end"]
    assert records[2] == {
        "type": "final",
        "start": 2.4,
        "end": 4.0,
        "text": "i'm fine thanks",
        "id": 1,
    }
    assert records[-1]["stats"] == {"latency_ms_p50": 12.5, "chunks": 40, "empty": None}


def test_read_back_complete_and_interrupted(tmp_path: Path) -> None:
    journal = SessionJournal.create("mic", "m", directory=tmp_path)
    for segment in SEGMENTS:
        journal.append(segment)
    interrupted = read_journal(journal.path)
    assert interrupted.interrupted
    assert interrupted.segments == tuple(SEGMENTS)
    assert interrupted.duration == pytest.approx(7.04)
    assert interrupted.stats == {}
    journal.close({"chunks": 3})
    complete = read_journal(journal.path)
    assert not complete.interrupted
    assert complete.id == journal.id
    assert complete.source == "mic"
    assert complete.stats == {"chunks": 3}
    assert complete.ended is not None and complete.ended >= complete.started


def test_a_line_cut_by_a_crash_is_skipped(tmp_path: Path) -> None:
    journal = SessionJournal.create("mic", "m", directory=tmp_path)
    journal.append(SEGMENTS[0])
    with journal.path.open("a") as f:
        f.write('{"type": "final", "start": 3.0, "en')
    assert read_journal(journal.path).segments == (SEGMENTS[0],)


def test_no_header_is_an_error() -> None:
    with pytest.raises(ValueError, match="header"):
        parse_journal(['{"type": "final", "id": 0, "start": 0, "end": 1, "text": "x"}'])


def test_unwritable_directory_warns_once_keeps_segments_and_saves_elsewhere(
    tmp_path: Path,
) -> None:
    # A file where the directory should be: blocked even for root.
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    warnings: list[str] = []
    journal = SessionJournal.create(
        "mic", "m", directory=blocker / "sessions", on_warning=warnings.append
    )
    for segment in SEGMENTS:
        journal.append(segment)
    assert len(warnings) == 1
    assert str(blocker / "sessions") in warnings[0]
    assert journal.warning is not None
    assert journal.session().segments == tuple(SEGMENTS)

    saved = tmp_path / "rescued.jsonl"
    journal.save_as(saved)
    assert journal.warning is None
    journal.append(Segment(3, 8.0, 9.0, "more"))
    journal.close({"chunks": 1})
    session = read_journal(saved)
    assert [s.text for s in session.segments] == [*(s.text for s in SEGMENTS), "more"]
    assert not session.interrupted
    assert len(warnings) == 1


def test_written_when_the_directory_becomes_possible(tmp_path: Path) -> None:
    blocker = tmp_path / "later"
    blocker.write_text("")
    journal = SessionJournal.create("mic", "m", directory=blocker)
    journal.append(SEGMENTS[0])
    assert journal.warning is not None
    blocker.unlink()
    journal.append(SEGMENTS[1])
    assert journal.warning is None
    assert read_journal(journal.path).segments == tuple(SEGMENTS[:2])


def test_save_as_to_a_bad_path_is_a_user_error(tmp_path: Path) -> None:
    journal = SessionJournal.create("mic", "m", directory=tmp_path)
    journal.append(SEGMENTS[0])
    with pytest.raises(UserError, match="cannot save"):
        journal.save_as(tmp_path / "missing" / "x.jsonl")
    journal.append(SEGMENTS[1])
    assert read_journal(journal.path).segments == tuple(SEGMENTS[:2])


def test_append_after_close_is_a_bug(tmp_path: Path) -> None:
    journal = SessionJournal.create("mic", "m", directory=tmp_path)
    journal.close({})
    with pytest.raises(RuntimeError):
        journal.append(SEGMENTS[0])
    assert len(read_journal(journal.path).segments) == 0
