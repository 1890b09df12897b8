"""The unit of a transcript: a stretch of recognised text with its times."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """Text between two endpoints; times are seconds of audio from the session start."""

    id: int
    start: float
    end: float
    text: str
    final: bool = True
