"""Streaming writers for final segments: plain text, JSON lines, SRT and WebVTT.

Each writer emits a segment as soon as it is final, so output piped from
``transcribe`` or ``live`` is usable while the audio is still running.
"""

from __future__ import annotations

import json
from typing import Protocol, TextIO

from tui_captions.transcript.segments import Segment

FORMATS = ("text", "jsonl", "srt", "vtt")


def clock(seconds: float, decimal_mark: str) -> str:
    """HH:MM:SS<mark>mmm as subtitle formats write times."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal_mark}{millis:03d}"


class SegmentWriter(Protocol):
    def write(self, segment: Segment) -> None: ...


class TextWriter:
    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, segment: Segment) -> None:
        self._out.write(segment.text + "\n")
        self._out.flush()


class JsonLinesWriter:
    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, segment: Segment) -> None:
        event = {
            "type": "final",
            "start": round(segment.start, 3),
            "end": round(segment.end, 3),
            "text": segment.text,
        }
        self._out.write(json.dumps(event) + "\n")
        self._out.flush()


class SrtWriter:
    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._cues = 0

    def write(self, segment: Segment) -> None:
        self._cues += 1
        start, end = clock(segment.start, ","), clock(segment.end, ",")
        self._out.write(f"{self._cues}\n{start} --> {end}\n{segment.text}\n\n")
        self._out.flush()


class VttWriter:
    def __init__(self, out: TextIO) -> None:
        self._out = out
        out.write("WEBVTT\n\n")
        out.flush()

    def write(self, segment: Segment) -> None:
        start, end = clock(segment.start, "."), clock(segment.end, ".")
        self._out.write(f"{start} --> {end}\n{segment.text}\n\n")
        self._out.flush()


def open_writer(fmt: str, out: TextIO) -> SegmentWriter:
    writers: dict[str, type[TextWriter | JsonLinesWriter | SrtWriter | VttWriter]] = {
        "text": TextWriter,
        "jsonl": JsonLinesWriter,
        "srt": SrtWriter,
        "vtt": VttWriter,
    }
    return writers[fmt](out)
