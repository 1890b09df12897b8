"""The session journal on real files: header, segments, end line, reading back, failures."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tui_captions import __version__
from tui_captions.core.segments import Segment
from tui_captions.errors import UserError
from tui_captions.transcript.journal import SessionJournal, parse_journal, read_journal

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
    assert header["format"] == 4 and header["channels"] == [{"id": "", "label": "talk.wav"}]
    for segment in SEGMENTS:
        journal.append(dataclasses.replace(segment, display=segment.text.capitalize() + "."))
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
        "display": "I'm fine thanks.",
        "id": 1,
        "channel": "",
    }
    assert read_journal(journal.path).segments[1].display == "I'm fine thanks."
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


def test_full_disk_keeps_whole_lines_and_catches_up(tmp_path: Path) -> None:
    """RLIMIT_FSIZE stands in for a full disk (it blocks root too): the journal
    warns once, leaves no broken line, and writes the backlog once space returns."""
    script = textwrap.dedent(
        f"""
        import resource
        from pathlib import Path
        from tui_captions.transcript.journal import SessionJournal
        from tui_captions.core.segments import Segment

        journal = SessionJournal.create(
            "mic", "m", directory=Path({str(tmp_path)!r}), on_warning=lambda m: print("WARN", m)
        )
        size = journal.path.stat().st_size
        resource.setrlimit(resource.RLIMIT_FSIZE, (size + 150, resource.RLIM_INFINITY))
        for i in range(6):
            journal.append(Segment(i, i, i + 0.5, f"segment number {{i}} " * 2))
        full = journal.warning is not None, journal.path.stat().st_size, *journal.saved_lines()
        print("FULL", *full)
        resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        journal.append(Segment(6, 6, 6.5, "space again"))
        journal.close({{"chunks": 7}})
        print("DONE", journal.warning)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["WARN", "FULL", "DONE"]
    assert "File too large" in lines[0]
    (path,) = tmp_path.glob("*.jsonl")
    _, warned, size_when_full, saved, said = lines[1].split()
    assert warned == "True"
    assert lines[2] == "DONE None"
    text = path.read_text()
    # while full, the file held only whole lines (no partial write left behind)
    assert text[: int(size_when_full)].endswith("\n")
    # and the journal counted them: what the closing message says was saved
    assert int(saved) == text[: int(size_when_full)].count('"type": "final"') < int(said) == 6
    session = read_journal(path)
    assert [s.id for s in session.segments] == list(range(7))
    assert len(text.splitlines()) == 9  # header, 7 segments, end: nothing broken or doubled
    assert not session.interrupted


def test_channels_are_journaled_and_read_back(tmp_path: Path) -> None:
    channels = {"mic": "You", "system": "Them"}
    journal = SessionJournal.create("You, Them", "m", channels=channels, directory=tmp_path)
    journal.append(Segment(0, 0.5, 1.0, "hello", "mic"))
    journal.append(Segment(1, 0.7, 2.0, "hi there", "system"))
    assert lines_of(journal.path)[0]["channels"] == [
        {"id": "mic", "label": "You"},
        {"id": "system", "label": "Them"},
    ]
    assert [s.channel for s in read_journal(journal.path).segments] == ["mic", "system"]


def test_speakers_and_later_relabels_are_journaled_and_read_back(tmp_path: Path) -> None:
    journal = SessionJournal.create("talk.wav", "m", directory=tmp_path)
    journal.append(dataclasses.replace(SEGMENTS[0], speaker="Speaker 1"))
    journal.append(SEGMENTS[1])  # shown before its speaker was known
    journal.append(dataclasses.replace(SEGMENTS[2], speaker="Speaker 1"))
    journal.relabel(dataclasses.replace(SEGMENTS[1], speaker="Speaker 2"))
    journal.relabel(dataclasses.replace(SEGMENTS[2], speaker="Speaker 2"))  # changed its mind
    journal.close({})
    assert lines_of(journal.path)[-3] == {"type": "speaker", "id": 1, "speaker": "Speaker 2"}
    speakers = [s.speaker for s in read_journal(journal.path).segments]
    assert speakers == ["Speaker 1", "Speaker 2", "Speaker 2"]


def test_a_journal_from_before_speakers_reads_without_them() -> None:
    session = parse_journal(json.dumps(record) for record in FORMAT_1)
    assert [s.speaker for s in session.segments] == ["", ""]


FORMAT_1 = [
    {
        "type": "session",
        "format": 1,
        "id": "20261122-132331-a1ba",
        "started": "2026-11-22T13:23:31.000000+00:00",
        "source": "Monitor of Null Output",
        "model": "demo-tiny",
        "app_version": "0.1.0",
    },
    {"type": "final", "start": 0.32, "end": 1.6, "text": "hello there", "id": 0},
    {"type": "final", "start": 2.4, "end": 4.0, "text": "i'm fine thanks", "id": 1},
    {
        "type": "end",
        "ended": "2026-11-22T13:23:41.000000+00:00",
        "duration": 10.0,
        "stats": {"chunks": 60},
    },
]


def test_a_format_1_journal_lists_and_exports_as_before(tmp_path: Path) -> None:
    sessions = tmp_path / "data" / "captions-tui" / "sessions"
    sessions.mkdir(parents=True)
    path = sessions / "20261122-132331-a1ba.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in FORMAT_1))
    session = read_journal(path)
    assert session.segments == (SEGMENTS[0], SEGMENTS[1])  # channel "" for every segment
    assert not session.interrupted and session.source == "Monitor of Null Output"
    listing = subprocess.run(
        [sys.executable, "-m", "tui_captions.cli", "sessions", "--json"],
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert listing.returncode == 0, listing.stderr
    (row,) = json.loads(listing.stdout)
    assert (row["id"], row["segments"], row["interrupted"]) == ("20261122-132331-a1ba", 2, False)
    exported = subprocess.run(  # no readable text was journaled: the rules make it
        [sys.executable, "-m", "tui_captions.cli", "export", str(path), "--format", "srt"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout == (
        "1\n00:00:00,320 --> 00:00:01,600\nHello there\n\n"
        "2\n00:00:02,400 --> 00:00:04,000\nI'm fine thanks\n\n"
    )


def test_two_sessions_with_one_id_get_two_journals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same second, same random tail (1 in 65,536): the second session took the first's
    file and the two merged; the file is created exclusively, the second gets a new id."""
    ids = iter(["20261207-120000-beef", "20261207-120000-beef", "20261207-120000-cafe"])
    monkeypatch.setattr("tui_captions.transcript.journal._new_id", lambda: next(ids))
    warnings: list[str] = []
    first = SessionJournal.create("mic", "m", directory=tmp_path, on_warning=warnings.append)
    second = SessionJournal.create("talk.wav", "m", directory=tmp_path, on_warning=warnings.append)
    first.append(SEGMENTS[0])
    second.append(SEGMENTS[1])
    assert (first.id, second.id) == ("20261207-120000-beef", "20261207-120000-cafe")
    assert [r["type"] for r in lines_of(first.path)] == ["session", "final"]
    assert read_journal(first.path).segments == (SEGMENTS[0],)
    assert read_journal(second.path).source == "talk.wav"
    assert read_journal(second.path).segments == (SEGMENTS[1],)
    assert warnings == []


def test_lines_with_numbers_json_cannot_hold_are_skipped() -> None:
    """NaN, Infinity and 1e400 (a float's inf): such a line is a broken line, so one edited
    or damaged journal cannot stop `sessions` or `export` (int(inf) raised OverflowError)."""
    header = json.dumps(
        {
            "type": "session",
            "id": "s",
            "started": "2026-12-07T12:00:00+00:00",
            "source": "mic",
            "model": "m",
            "app_version": "1",
        }
    )
    good = '{"type": "final", "id": 3, "start": 1.0, "end": 2.0, "text": "kept"}'
    session = parse_journal(
        [
            header,
            '{"type": "final", "id": Infinity, "start": 0, "end": 1, "text": "x"}',
            '{"type": "final", "id": 1, "start": NaN, "end": 1, "text": "x"}',
            '{"type": "final", "id": 2, "start": 0, "end": 1e400, "text": "x"}',
            '{"type": "final", "id": 2, "start": 1' + "0" * 400 + ', "end": 1, "text": "x"}',
            good,
            '{"type": "end", "ended": "2026-12-07T12:01:00+00:00", "duration": -Infinity}',
        ]
    )
    assert [s.text for s in session.segments] == ["kept"]
    assert session.duration == 2.0 and session.interrupted
    with pytest.raises(ValueError, match="header"):
        parse_journal([header.replace('"s"', "NaN"), good])


def test_a_renamed_speaker_reads_back_by_its_name_in_its_channel_only(tmp_path: Path) -> None:
    channels = {"You": "You", "Them": "Them"}
    journal = SessionJournal.create("You, Them", "m", channels=channels, directory=tmp_path)
    journal.append(Segment(0, 0.0, 1.0, "hi", "You", speaker="Speaker 1"))
    journal.append(Segment(1, 0.5, 1.5, "hello", "Them", speaker="Speaker 1"))
    journal.rename("Them", "Speaker 1", "Bob")
    journal.append(Segment(2, 2.0, 3.0, "how are you", "Them", speaker="Speaker 1"))
    journal.close({})
    speakers = [s.speaker for s in read_journal(journal.path).segments]
    assert speakers == ["Speaker 1", "Bob", "Bob"]
