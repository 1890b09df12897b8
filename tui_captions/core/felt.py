"""The delay a reader feels: from a word's end in the audio to the text that shows it.

Per-chunk compute is not what a reader waits for: the chunk's length, the model's
look-ahead and the endpoint's silence come first. A :class:`WordClock` follows one
stream's partial text and final lines on the session's time line and tells, for each
word of a final line, when a partial first showed it (at its place in the line, spelt
as the final line spells it) and when its final line came. What the word's end is, is
the caller's: ``LiveStats`` takes the engine's word times, ``bench.latency`` the known
ends of the speech it synthesized.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tui_captions.core.segments import Segment


@dataclass(frozen=True)
class ShownWord:
    """A word of a final line and when it was shown (session seconds).

    ``end`` is where the engine put the word's end (its word times), None when the
    line has none; an RNN-T places it at the end of the chunk that wrote the word, so it
    may lie after the word's true end.
    """

    text: str
    partial_at: float
    final_at: float
    end: float | None


class WordClock:
    """When each word of one stream was first shown, and when its line became final."""

    def __init__(self) -> None:
        # Per place in the open line: each spelling shown there, and since when.
        self._seen: list[dict[str, float]] = []

    def update(self, at: float, partial: str, finals: Sequence[Segment] = ()) -> list[ShownWord]:
        """One step of the stream, shown at ``at``: ``finals`` close the open line (their
        words come back, timed: lines ended in one step share the open line's places),
        then ``partial`` is the new open line."""
        shown = self._close(at, finals) if finals else []
        for place, word in enumerate(partial.split()):
            if place == len(self._seen):
                self._seen.append({})
            self._seen[place].setdefault(word, at)
        return shown

    def forget(self) -> None:
        """The open line ends untimed (its source went quiet or ended)."""
        self._seen = []

    def _close(self, at: float, finals: Sequence[Segment]) -> list[ShownWord]:
        words = [word for segment in finals for word in segment.text.split()]
        ends = [end for segment in finals for end in _word_ends(segment)]
        seen, self._seen = self._seen, []
        return [
            ShownWord(word, seen[place].get(word, at) if place < len(seen) else at, at, end)
            for place, (word, end) in enumerate(zip(words, ends, strict=True))
        ]


def _word_ends(segment: Segment) -> list[float | None]:
    """Each word's end from the segment's word times; None for each when it has none."""
    count = len(segment.text.split())
    if len(segment.word_times) != count:
        return [None] * count
    return [end for _, end in segment.word_times]
