"""Where a captioning session's events go: the sinks it fans them out to.

The session handles each event once (figures, numbering, readable text) and then hands
the result to every sink that subscribed: the journal (always first, so that a line is
on disk before anything shows it), the app's captions screen and the app itself,
``live``'s printer, the web page. It lives here, below the pipeline, the transcript and
the web server, so that each side can implement it without importing the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the command line imports this, and events need numpy
    from tui_captions.core.events import RecognizerUpdate, SourceEnded, SourceStarted
    from tui_captions.core.segments import Segment


@dataclass(frozen=True)
class Partial:
    """A channel's words still being recognised, as the recogniser wrote them and as the
    session's text step made them readable (once, for every sink alike)."""

    channel: str
    seq: int
    words: str
    text: str

    def shown(self, raw: bool = False) -> str:
        """What a reader gets: the readable text (the words as written with ``raw``)."""
        return self.words if raw else self.text


class SessionSink:
    """A subscriber to a session: it overrides what it shows and ignores the rest.

    Final lines reach a sink only once they are journaled; ``channel`` is "" for a
    session's only source, else its label.
    """

    def started(self, channel: str, event: SourceStarted) -> None:
        """The channel's source opened."""

    def update(self, channel: str, event: RecognizerUpdate) -> None:
        """A chunk's figures (levels, latency, faces), after its final lines."""

    def final(self, segment: Segment) -> None:
        """A final line, journaled, with its readable ``display``."""

    def echo(self, segment: Segment) -> None:
        """A microphone's final line that repeated the system audio's: marked ``echo``,
        kept by the journal, shown by no one."""

    def speaker(self, segment: Segment) -> None:
        """A final line handed on before its speaker was known, or since relabelled: the
        same line (its ``id``, times and text) with its ``speaker`` now."""

    def renamed(self, channel: str, speaker: str, name: str) -> None:
        """The user named the channel's ``speaker`` ("Speaker 1") ``name`` for the whole
        session: its lines, shown and to come, read ``name``."""

    def partial(self, partial: Partial) -> None:
        """The channel's text that may still change, when it changed."""

    def quiet(self, channel: str) -> None:
        """The channel went quiet: what was partial is final now (and was handed on)."""

    def ended(self, channel: str, event: SourceEnded) -> None:
        """The channel's source ended, stopped or failed; its last lines were handed on."""
