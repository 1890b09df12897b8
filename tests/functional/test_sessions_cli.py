"""``captions-tui sessions`` and ``export`` on journals in a temporary data directory."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import srt

from tui_captions.cli import main
from tui_captions.core.segments import Segment
from tui_captions.transcript.journal import SessionJournal, sessions_dir


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("COLUMNS", "120")
    return tmp_path / "data"


@pytest.fixture
def two_sessions(data_home: Path) -> tuple[SessionJournal, SessionJournal]:
    """A complete session, then an interrupted one (no end line), as a crash leaves it."""
    complete = SessionJournal.create("talk.wav", "demo-tiny")
    complete.append(Segment(0, 0.0, 1.5, "first session"))
    complete.close({"latency_ms_p50": 30.0})
    interrupted = SessionJournal.create("pulse:monitor", "demo-tiny")
    interrupted.append(Segment(0, 0.5, 2.0, "i was cut"))
    interrupted.append(Segment(1, 3.0, 4.25, "off here"))
    return complete, interrupted


def test_sessions_go_under_the_user_data_dir(data_home: Path) -> None:
    assert sessions_dir() == data_home / "captions-tui" / "sessions"


def test_sessions_table(
    two_sessions: tuple[SessionJournal, SessionJournal], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sessions"]) == 0
    rows = capsys.readouterr().out.splitlines()
    complete, interrupted = two_sessions
    first = next(r for r in rows if complete.id in r)
    second = next(r for r in rows if interrupted.id in r)
    assert "talk.wav" in first and "complete" in first
    assert "pulse:monitor" in second and "interrupted" in second
    assert rows.index(first) < rows.index(second)


def test_a_long_source_path_shows_as_its_name_on_one_row(
    data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The table names the file; ``--json`` keeps the whole path (issue 22: the path
    wrapped over four rows)."""
    path = "/home/someone/recordings/2026/december/board-meetings/quarterly-review.flac"
    journal = SessionJournal.create(path, "demo-tiny")
    journal.append(Segment(0, 0.0, 1.0, "hello"))
    journal.close({})
    assert main(["sessions"]) == 0
    rows = [r for r in capsys.readouterr().out.splitlines() if r.strip()]
    row = next(r for r in rows if journal.id in r)
    assert "quarterly-review.flac" in row and "/home/someone" not in row
    assert len([r for r in rows if "flac" in r or "board" in r]) == 1
    assert main(["sessions", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["source"] == path


def test_sessions_json(
    two_sessions: tuple[SessionJournal, SessionJournal], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sessions", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(s["id"], s["segments"], s["interrupted"]) for s in listed] == [
        (two_sessions[0].id, 1, False),
        (two_sessions[1].id, 2, True),
    ]
    assert listed[1]["duration"] == 4.25
    assert listed[0]["recording"] is None


def test_no_sessions(data_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions"]) == 0
    assert "No saved sessions" in capsys.readouterr().out


def test_export_last_is_the_interrupted_one(
    two_sessions: tuple[SessionJournal, SessionJournal], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "last", "--format", "srt"]) == 0
    cues = list(srt.parse(capsys.readouterr().out, ignore_errors=False))
    assert [c.content for c in cues] == ["I was cut", "Off here"]
    assert cues[1].end.total_seconds() == 4.25


def test_export_by_id_to_a_file_format_from_suffix(
    two_sessions: tuple[SessionJournal, SessionJournal], tmp_path: Path
) -> None:
    out = tmp_path / "first.json"
    assert main(["export", two_sessions[0].id, "-o", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["segments"][0]["text"] == "First session"
    assert document["stats"] == {"latency_ms_p50": 30.0}
    assert document["session"]["interrupted"] is False


def test_export_raw_txt_with_timestamps(
    two_sessions: tuple[SessionJournal, SessionJournal], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", "last", "--raw", "--timestamps"]) == 0
    assert capsys.readouterr().out == "[00:00:00.500] i was cut\n[00:00:03.000] off here\n"


def test_export_a_journal_file_saved_elsewhere(
    two_sessions: tuple[SessionJournal, SessionJournal],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    moved = tmp_path / "elsewhere.jsonl"
    two_sessions[1].save_as(moved)
    assert main(["export", str(moved)]) == 0
    assert capsys.readouterr().out == "I was cut\nOff here\n"


def test_unknown_session_is_one_line_and_exit_2(data_home: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tui_captions.cli", "export", "20990101-000000-beef"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("captions-tui: error: no session '20990101-000000-beef'")


def test_last_without_sessions(data_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "last"]) == 2
    assert "no saved sessions" in capsys.readouterr().err


def test_export_by_unique_start_of_an_id(
    two_sessions: tuple[SessionJournal, SessionJournal], capsys: pytest.CaptureFixture[str]
) -> None:
    complete, interrupted = two_sessions
    unique = next(
        interrupted.id[:n]
        for n in range(8, len(interrupted.id) + 1)
        if not complete.id.startswith(interrupted.id[:n])
    )
    assert main(["export", unique]) == 0
    assert capsys.readouterr().out == "I was cut\nOff here\n"
    date = complete.id[:8]  # both started today: ambiguous
    assert main(["export", date]) == 2
    error = capsys.readouterr().err
    assert complete.id in error and interrupted.id in error


def test_sessions_grep_lists_matching_lines_with_times(
    two_sessions: tuple[SessionJournal, SessionJournal], capsys: pytest.CaptureFixture[str]
) -> None:
    complete, interrupted = two_sessions
    assert main(["sessions", "--grep", "CUT"]) == 0
    out = capsys.readouterr().out
    assert interrupted.id in out and complete.id not in out
    assert "[00:00:00.500] i was cut" in out and "off here" not in out
    assert main(["sessions", "--grep", "session", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [(s["id"], [line["text"] for line in s["lines"]]) for s in found] == [
        (complete.id, ["first session"])
    ]
    assert main(["sessions", "--grep", "nobody said this"]) == 1
    assert "No saved session says" in capsys.readouterr().out


def test_an_echo_line_is_left_out_of_exports_unless_with_echo(
    data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = SessionJournal.create(
        "You, Them", "demo-tiny", channels={"You": "You", "Them": "Them"}
    )
    journal.append(Segment(0, 1.0, 2.0, "hello all", "Them", "Hello all."))
    journal.append(Segment(1, 1.1, 2.1, "hello all", "You", echo=True))
    journal.append(Segment(2, 4.0, 5.0, "my own words", "You", "My own words."))
    journal.close({})
    assert main(["export", "last"]) == 0
    assert capsys.readouterr().out == "Them: Hello all.\nYou: My own words.\n"
    assert main(["export", "last", "--with-echo", "--format", "json"]) == 0
    segments = json.loads(capsys.readouterr().out)["segments"]
    assert [(s["source"], s.get("echo", False)) for s in segments] == [
        ("Them", False), ("You", True), ("You", False),
    ]  # fmt: skip
    # jsonl marks it too (issue 36: it did not, so a script could not tell it apart)
    assert main(["export", "last", "--with-echo", "--format", "jsonl"]) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(e["source"], e.get("echo", False)) for e in events] == [
        ("Them", False), ("You", True), ("You", False),
    ]  # fmt: skip


def test_an_echo_line_is_neither_counted_nor_found_by_sessions(
    data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 36: `sessions` counted and grepped the echo lines the app never showed."""
    journal = SessionJournal.create(
        "You, Them", "demo-tiny", channels={"You": "You", "Them": "Them"}
    )
    journal.append(Segment(0, 1.0, 2.0, "hello all", "Them"))
    journal.append(Segment(1, 1.1, 2.1, "hello all", "You", echo=True))
    journal.close({})
    assert main(["sessions", "--json"]) == 0
    assert [row["segments"] for row in json.loads(capsys.readouterr().out)] == [1]
    assert main(["sessions"]) == 0
    (row,) = [line for line in capsys.readouterr().out.splitlines() if journal.id in line]
    assert row.split()[-2:] == ["1", "complete"]
    assert main(["sessions", "--grep", "hello", "--json"]) == 0
    (found,) = json.loads(capsys.readouterr().out)
    assert [(line["source"], line["text"]) for line in found["lines"]] == [("Them", "hello all")]


def strict_json(text: str) -> Any:
    """JSON as the standard has it: no NaN or Infinity."""

    def refuse(name: str) -> None:
        raise ValueError(f"{name} in the output")

    return json.loads(text, parse_constant=refuse)


def test_a_bad_journal_is_skipped_with_one_line_and_the_others_list_and_export(
    two_sessions: tuple[SessionJournal, SessionJournal], capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 36: one journal with "id": Infinity (or an infinite time) stopped `sessions`
    and `export last` for every session, and `--json` printed bare NaN."""
    odd = SessionJournal.create("odd.wav", "demo-tiny")
    odd.append(Segment(0, 0.0, 1.0, "a good line"))
    with odd.path.open("a") as f:
        f.write('{"type": "final", "start": 1e400, "end": 2, "text": "x", "id": Infinity}\n')
        f.write('{"type": "end", "ended": "2026-12-07T12:00:00+00:00", "duration": NaN}\n')
    broken = sessions_dir() / "broken.jsonl"
    broken.write_text('{"type": "session", "id": NaN}\n')
    assert main(["sessions"]) == 0
    listed = capsys.readouterr()
    assert all(s.id in listed.out for s in (*two_sessions, odd))
    assert listed.err.splitlines() == [
        f"captions-tui: warning: {broken} skipped: not a readable session journal "
        "(no session header line)"
    ]
    assert main(["sessions", "--json"]) == 0
    rows = strict_json(capsys.readouterr().out)
    assert [(row["id"], row["segments"]) for row in rows][-1] == (odd.id, 1)
    assert main(["export", "last"]) == 0
    assert capsys.readouterr().out == "A good line\n"


def test_file_names_are_text_not_markup(
    data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Rich read "[final]" as a style (gone from the table) and "[/]" as a closing tag
    (`--grep` crashed)."""
    sources = ("meeting [final] Q&A.wav", "/recordings/odd [/]/notes [bold].wav")
    for source in sources:
        journal = SessionJournal.create(source, "demo-tiny")
        journal.append(Segment(0, 0.0, 1.0, "the budget"))
        journal.close({})
    assert main(["sessions"]) == 0
    out = capsys.readouterr().out
    assert "meeting [final] Q&A.wav" in out and "notes [bold].wav" in out  # the files' names
    assert main(["sessions", "--grep", "budget"]) == 0
    out = capsys.readouterr().out
    assert all(source in out for source in sources)


def test_the_id_is_never_cut_at_80_columns(
    data_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`export` needs the whole id: the source's name gives way instead."""
    monkeypatch.setenv("COLUMNS", "80")
    journal = SessionJournal.create("a-rather-long-name-of-a-recorded-meeting.wav", "demo-tiny")
    journal.append(Segment(0, 0.0, 1.0, "hello"))
    assert main(["sessions"]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert max(len(row) for row in rows) <= 80
    (row,) = (row for row in rows if "a-rather" in row)
    assert row.startswith(f"{journal.id} ")
    assert " interrupted" in row and "a-rather…" in row  # the other columns whole too


def test_an_empty_recording_is_not_listed(
    data_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A full disk can leave a 0-byte .flac: nothing to play, so no recording."""
    journal = SessionJournal.create("mic", "demo-tiny")
    journal.append(Segment(0, 0.0, 1.0, "hello"))
    journal.path.with_suffix(".flac").touch()
    assert main(["sessions", "--json"]) == 0
    (row,) = strict_json(capsys.readouterr().out)
    assert row["recording"] is None
    assert main(["sessions"]) == 0
    assert "flac" not in capsys.readouterr().out
