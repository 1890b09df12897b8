"""Exports read back by real parsers (srt, webvtt-py, json): times and text round-trip."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import srt
import webvtt

from tui_captions.core.segments import Segment
from tui_captions.text.rules import readable
from tui_captions.transcript.exports import export_session
from tui_captions.transcript.journal import Session, SessionJournal, read_journal

SEGMENTS = [
    Segment(0, 0.32, 1.6, "hello there i'm here"),
    Segment(1, 2.4, 4.0, "i think it works"),
    Segment(2, 3721.123, 3725.5, "over an hour later"),
]


@pytest.fixture(params=["complete", "interrupted"])
def session(request: pytest.FixtureRequest, tmp_path: Path) -> Session:
    journal = SessionJournal.create("talk.wav", "demo-tiny", directory=tmp_path)
    for segment in SEGMENTS:  # as a session journals them: with their readable form
        journal.append(dataclasses.replace(segment, display=readable(segment.text)))
    if request.param == "complete":
        journal.close({"latency_ms_p50": 42.0, "chunks": 100})
    return read_journal(journal.path)


def exported(session: Session, fmt: str, **options: Any) -> str:
    out = io.StringIO()
    export_session(session, fmt, out, **options)
    return out.getvalue()


def test_srt_round_trips(session: Session) -> None:
    cues = list(srt.parse(exported(session, "srt"), ignore_errors=False))
    assert [c.index for c in cues] == [1, 2, 3]
    assert [c.start for c in cues] == [timedelta(seconds=s.start) for s in SEGMENTS]
    assert [c.end for c in cues] == [timedelta(seconds=s.end) for s in SEGMENTS]
    assert [c.content for c in cues] == [
        "Hello there I'm here",
        "I think it works",
        "Over an hour later",
    ]


def test_vtt_round_trips(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "out.vtt"
    path.write_text(exported(session, "vtt", raw=True))
    captions = webvtt.read(str(path)).captions
    assert [c.start for c in captions] == ["00:00:00.320", "00:00:02.400", "01:02:01.123"]
    assert [c.end for c in captions] == ["00:00:01.600", "00:00:04.000", "01:02:05.500"]
    assert [c.text for c in captions] == [s.text for s in SEGMENTS]


def test_json_has_segments_metadata_and_stats(session: Session) -> None:
    document = json.loads(exported(session, "json"))
    assert document["session"]["id"] == session.id
    assert document["session"]["source"] == "talk.wav"
    assert document["session"]["model"] == "demo-tiny"
    assert document["session"]["interrupted"] is session.interrupted
    assert document["stats"] == (
        {} if session.interrupted else {"latency_ms_p50": 42.0, "chunks": 100}
    )
    assert document["segments"] == [
        {"id": s.id, "start": s.start, "end": s.end, "text": readable(s.text), "raw": s.text}
        for s in SEGMENTS
    ]


def test_txt_plain_raw_and_with_timestamps(session: Session) -> None:
    assert exported(session, "txt").splitlines() == [
        "Hello there I'm here",
        "I think it works",
        "Over an hour later",
    ]
    assert exported(session, "txt", raw=True).splitlines() == [s.text for s in SEGMENTS]
    assert exported(session, "txt", timestamps=True).splitlines()[2] == (
        "[01:02:01.123] Over an hour later"
    )


def test_unknown_format_is_a_bug(session: Session) -> None:
    with pytest.raises(ValueError, match="docx"):
        exported(session, "docx")


def strict_json(text: str) -> Any:
    def refuse(constant: str) -> None:
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)
