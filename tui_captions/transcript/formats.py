"""Segment writers for plain text, JSON lines, SRT and WebVTT: one per format.

Each writer emits a segment as soon as it is final, so output piped from
``transcribe`` or ``live`` is usable while the audio is still running; exports
of saved sessions go through the same writers.
"""

from __future__ import annotations

import json
from typing import Any, Protocol, TextIO

from tui_captions.core.segments import Segment
from tui_captions.core.timefmt import clock

FORMATS = ("text", "jsonl", "srt", "vtt")


def final_event(segment: Segment) -> dict[str, Any]:
    """The ``jsonl`` event of a final segment (a contract for scripts; the journal reuses it)."""
    return {
        "type": "final",
        "start": round(segment.start, 3),
        "end": round(segment.end, 3),
        "text": segment.text,
    }


class SegmentWriter(Protocol):
    def write(self, segment: Segment) -> None: ...


class TextWriter:
    """One line per segment, optionally led by its start time as ``[HH:MM:SS.mmm]``."""

    def __init__(self, out: TextIO, *, timestamps: bool = False) -> None:
        self._out = out
        self._timestamps = timestamps

    def write(self, segment: Segment) -> None:
        prefix = f"[{clock(segment.start, '.')}] " if self._timestamps else ""
        self._out.write(f"{prefix}{segment.text}\n")
        self._out.flush()


class JsonLinesWriter:
    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, segment: Segment) -> None:
        self._out.write(json.dumps(final_event(segment)) + "\n")
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
