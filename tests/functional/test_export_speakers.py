"""`export` of a session with speaker labels: every format names them, `--speakers-as` too."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import srt
import webvtt

from tests.cli import run_cli
from tui_captions.core.segments import Segment
from tui_captions.transcript.journal import SessionJournal

LINES = [
    Segment(0, 0.5, 2.0, "so we begin", display="So we begin.", speaker="Speaker 1"),
    Segment(1, 2.5, 4.0, "sounds good", display="Sounds good."),  # labelled later
    Segment(2, 4.5, 6.0, "first the budget", display="First the budget.", speaker="Speaker 1"),
]


@pytest.fixture
def journal(tmp_path: Path) -> Path:
    """A session whose second line got its speaker after it was shown."""
    journal = SessionJournal.create("talk.wav", "demo-tiny", directory=tmp_path)
    for line in LINES:
        journal.append(line)
    journal.relabel(dataclasses.replace(LINES[1], speaker="Speaker 2"))
    journal.close({})
    return journal.path


def export(capfd: pytest.CaptureFixture[str], journal: Path, *args: str) -> tuple[int, str, str]:
    done = run_cli(capfd, "export", journal, *args)
    return done.returncode, done.stdout, done.stderr


def test_every_format_names_each_lines_speaker(
    capfd: pytest.CaptureFixture[str], journal: Path, tmp_path: Path
) -> None:
    speakers = ["Speaker 1", "Speaker 2", "Speaker 1"]
    _, text, _ = export(capfd, journal, "--format", "txt")
    assert text.splitlines() == [
        f"{s}: {line.display}" for s, line in zip(speakers, LINES, strict=True)
    ]
    _, subrip, _ = export(capfd, journal, "--format", "srt")
    assert [cue.content for cue in srt.parse(subrip)] == text.splitlines()
    _, vtt, _ = export(capfd, journal, "--format", "vtt")
    (tmp_path / "out.vtt").write_text(vtt)
    captions = webvtt.read(str(tmp_path / "out.vtt")).captions
    assert [c.voice for c in captions] == speakers
    _, document, _ = export(capfd, journal, "--format", "json")
    assert [s["speaker"] for s in json.loads(document)["segments"]] == speakers


def test_speakers_as_names_them(capfd: pytest.CaptureFixture[str], journal: Path) -> None:
    status, text, _ = export(capfd, journal, "--speakers-as", "Speaker 1=Alice, Speaker 2=Bob")
    assert status == 0
    assert [line.split(":")[0] for line in text.splitlines()] == ["Alice", "Bob", "Alice"]


def test_speakers_as_naming_a_speaker_the_session_lacks_is_one_line(
    capfd: pytest.CaptureFixture[str], journal: Path
) -> None:
    status, out, err = export(capfd, journal, "--speakers-as", "Speaker 1=Al,Speaker 3=Cy")
    assert (status, out) == (2, "")
    assert err.strip().endswith("has no 'Speaker 3'; its speakers: Speaker 1, Speaker 2")
    assert len(err.strip().splitlines()) == 1


def test_speakers_as_without_names_is_one_usage_line(
    capfd: pytest.CaptureFixture[str], journal: Path
) -> None:
    status, _, err = export(capfd, journal, "--speakers-as", "Speaker 1")
    assert status == 2
    assert "'Speaker 1' is not LABEL=NAME" in err


def test_speakers_as_names_one_sources_speaker_by_its_voice(
    capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """In meeting mode each source has its own Speaker 1."""
    channels = {"You": "You", "Them": "Them"}
    journal = SessionJournal.create("You, Them", "m", channels=channels, directory=tmp_path)
    journal.append(Segment(0, 0.0, 1.0, "hi", "You", "Hi.", speaker="Speaker 1"))
    journal.append(Segment(1, 0.5, 1.5, "hello", "Them", "Hello.", speaker="Speaker 1"))
    journal.close({})
    _, text, _ = export(capfd, journal.path, "--speakers-as", "Them, Speaker 1=Bob")
    assert text.splitlines() == ["You, Speaker 1: Hi.", "Them, Bob: Hello."]
