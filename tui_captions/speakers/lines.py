"""Final lines given their speaker once the labels for their time have settled.

For a file read as fast as it decodes (``transcribe``): a line is held until the
labeller has worked ``settle_s`` seconds of audio past its end (a window's lag and a
pause's worth), then written with the speaker heard most during it; what is still
held at the end goes out when the audio ends. A line whose speaker is not known
then goes out without one.
"""

from __future__ import annotations

import dataclasses
from collections import deque

from tui_captions.core.segments import Segment
from tui_captions.speakers.labeller import SpeakerLabeller

SETTLE_S = 2.5


class LabelledLines:
    """Segments in, the same segments with ``speaker`` out, in order."""

    def __init__(self, labeller: SpeakerLabeller, settle_s: float = SETTLE_S) -> None:
        self._labeller = labeller
        self._settle_s = settle_s
        self._held: deque[Segment] = deque()

    def add(self, segment: Segment) -> None:
        """Hold ``segment`` until its labels settle."""
        self._held.append(segment)

    def ready(self) -> list[Segment]:
        """The held lines whose labels have settled, labelled, in order."""
        settled = self._labeller.processed_to - self._settle_s
        ready = []
        while self._held and self._held[0].end <= settled:
            ready.append(self._labelled(self._held.popleft()))
        return ready

    def finish(self) -> list[Segment]:
        """The audio ended (the labeller finished): every held line, labelled."""
        ready = [self._labelled(segment) for segment in self._held]
        self._held.clear()
        return ready

    def _labelled(self, segment: Segment) -> Segment:
        speaker = self._labeller.speaker_between(segment.start, segment.end) or ""
        return dataclasses.replace(segment, speaker=speaker)
