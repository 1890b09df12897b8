"""Speaker labels in a live session: each channel's audio to its labeller, and each shown
line's speaker kept up to date.

Captions never wait for labels: a final line goes out with the speaker known when it is
final, or none (the labeller has its endpoint's pause to catch up: on a 30 s two-voice
file played at its pace, all 7 lines had their speaker when shown), and
:class:`ShownLines` keeps it until the labeller has worked well past its end, so that
a label that comes later, or changes, reaches the sinks as an update of the line.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from tui_captions.pipeline.taps import TappedStream
from tui_captions.speakers.lines import SETTLE_S, Labels, settled_to, split_at_speaker_changes

if TYPE_CHECKING:
    import numpy as np

    from tui_captions.asr.engine import RecognizerStream, StepResult
    from tui_captions.core.segments import Segment
    from tui_captions.speakers.labeller import SpeakerLabeller


class SpeakerTap:
    """Where a channel's audio goes for speaker labels: its labeller, or None. The app sets
    or clears it while the channel runs (its key turns labels on and off); the inference
    thread reads it once per chunk."""

    def __init__(self, labeller: SpeakerLabeller | None = None) -> None:
        self.labeller = labeller


class ListenedStream(TappedStream):
    """A recognizer stream whose chunks (16 kHz) its tap's labeller hears too, placed on
    the session's time line (a queue put: the labeller works on a thread of its own)."""

    def __init__(self, recognizer: RecognizerStream, tap: SpeakerTap) -> None:
        super().__init__(recognizer)
        self.tap = tap
        self._next_index = 0

    def accept(
        self, samples: np.ndarray, chunk_index: int | None = None, video: np.ndarray | None = None
    ) -> StepResult:
        index = self._next_index if chunk_index is None else chunk_index
        self._next_index = index + 1
        step = self.recognizer.accept(samples, chunk_index, video)
        # After the step: the labeller's thread works while the recognizer waits for the
        # next chunk, not beside it (on two cores, beside it raised the step's p95).
        if (labeller := self.tap.labeller) is not None:
            labeller.accept(samples, index * self.format.chunk_seconds)
        return step


class ShownLines:
    """One channel's shown lines whose speaker may still come or change."""

    def __init__(self, labeller: Labels, settle_s: float = SETTLE_S) -> None:
        self.labeller = labeller
        self._settle_s = settle_s
        self._open: list[Segment] = []  # shown, as last handed on

    def split(self, segment: Segment) -> list[Segment]:
        """``segment`` with the speakers known now (or none), cut where the speaker changes."""
        return split_at_speaker_changes(segment, self.labeller.speaker_between)

    def keep(self, line: Segment) -> None:
        """``line`` is shown: its speaker may still come or change."""
        self._open.append(line)

    def changes(self, final: bool = False) -> list[Segment]:
        """The kept lines whose speaker changed since handed on, as they are now; lines
        the labeller has settled (all of them when ``final``: the audio ended, or when
        labelling failed) are let go."""
        settled = settled_to(self.labeller, self._settle_s)
        changed, still_open = [], []
        for line in self._open:
            now = self._labelled(line)
            if now.speaker != line.speaker:
                changed.append(now)
            if not final and now.end > settled:
                still_open.append(now)
        self._open = still_open
        return changed

    def _labelled(self, segment: Segment) -> Segment:
        speaker = self.labeller.speaker_between(segment.start, segment.end)
        # a label once given is not taken back: a line the labeller lost stays as shown
        return dataclasses.replace(segment, speaker=speaker or segment.speaker)
