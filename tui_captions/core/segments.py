"""The unit of a transcript: a stretch of recognised text with its times."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """Text between two endpoints; times are seconds of audio from the session start.

    ``channel`` names the source it came from in a session ("" for the only one);
    the session, not the recognizer, numbers segments (``id``).
    """

    id: int
    start: float
    end: float
    text: str
    channel: str = ""
