"""A line's speaker in every transcript format: text, JSON lines, SRT, WebVTT, JSON."""

from __future__ import annotations

import io
import json

import pytest

from tui_captions.core.segments import Segment
from tui_captions.transcript.formats import open_writer

LINE = Segment(1, 1.0, 2.5, "hello there", display="Hello there.", speaker="Speaker 2")


def written(name: str, segment: Segment = LINE) -> str:
    out = io.StringIO()
    writer = open_writer(name, out)
    writer.write(segment)
    writer.close()
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("txt", "Speaker 2: Hello there.\n"),
        ("srt", "Speaker 2: Hello there."),
        ("vtt", "<v Speaker 2>Hello there.</v>"),
    ],
)
def test_text_and_subtitles_lead_the_line_with_its_speaker(name: str, expected: str) -> None:
    assert expected in written(name)


def test_json_lines_carry_a_speaker_field() -> None:
    assert json.loads(written("jsonl"))["speaker"] == "Speaker 2"


def test_a_source_and_its_speaker_are_named_together() -> None:
    meeting = Segment(1, 1.0, 2.5, "hi", channel="Them", speaker="Speaker 1")
    assert written("txt", meeting) == "Them, Speaker 1: hi\n"
    assert "speaker" not in json.loads(written("jsonl", Segment(1, 0.0, 1.0, "hi")))
