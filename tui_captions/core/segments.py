"""The unit of a transcript: a stretch of recognised text with its times."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """Text between two endpoints; times are seconds of audio from the session start.

    ``text`` is the recogniser's words as it wrote them; ``display`` the same words
    made readable (punctuation and capitals: ``tui_captions.text``), "" until a
    session has made it. ``channel`` names the source it came from in a session
    ("" for the only one); the session, not the recognizer, numbers segments (``id``).
    ``echo``: a microphone's line that repeated system audio, kept but not shown.
    ``word_times``: each word of ``text``, its start and end (from when the recognizer
    emitted its pieces; subtitles cut between words by them), or () when not known.
    ``speaker``: who in the source said it ("Speaker 1": ``tui_captions.speakers``), ""
    when speakers are not labelled or not known.
    """

    id: int
    start: float
    end: float
    text: str
    channel: str = ""
    display: str = ""
    echo: bool = False
    word_times: tuple[tuple[float, float], ...] = ()
    speaker: str = ""

    def shown(self, raw: bool = False) -> str:
        """What a reader gets: the readable text (the words as written with ``raw``)."""
        return self.text if raw else self.display or self.text
