"""Final lines given their speaker: split where the speaker changes, and (for a file)
held until the labels for their time have settled.

A line during which the speaker changes is cut between words, by the words' times
(:func:`split_at_speaker_changes`; a line without word times stays whole), both
here and in a live session.

For a file read as fast as it decodes (``transcribe``): a line is held until the
labeller has worked ``settle_s`` seconds of audio past its end (a window's lag and a
pause's worth), or has failed, then written with the speaker heard most during it; what is still
held at the end goes out when the audio ends. A line whose speaker is not known
then goes out without one.
"""

from __future__ import annotations

import dataclasses
import math
from collections import deque
from collections.abc import Callable
from typing import Protocol

from tui_captions.core.segments import Segment

SETTLE_S = 2.5
# A change of speaker for less than this (seconds) is not a turn: it stays with the
# words around it. The labeller hears 1.5 s windows, and a region's last ones are its
# least sure (the tiny model's labels flicker there): shorter changes are more often
# its noise than a turn.
MIN_TURN_S = 1.5

SpeakerOf = Callable[[float, float], str | None]
"""Who spoke most between two session times (None: not known)."""


class Labels(Protocol):
    """What lines ask of a source's labeller
    (:class:`tui_captions.speakers.labeller.SpeakerLabeller`)."""

    @property
    def failed(self) -> bool:
        """Labelling stopped (it said why in the log): no label comes from now on."""
        ...

    @property
    def processed_to(self) -> float: ...

    @property
    def undecided_from(self) -> float:
        """The start of the earliest speech whose speaker is still to be decided (inf: none)."""
        ...

    def speaker_between(self, start: float, end: float) -> str | None: ...

    def finish(self, timeout: float | None = None) -> None: ...


def settled_to(labels: Labels, settle_s: float = SETTLE_S) -> float:
    """Lines ending by this session time will get no other label: the labeller has worked
    ``settle_s`` past them and decided every piece of them, or (failed) will give no label
    again."""
    if labels.failed:
        return math.inf
    return min(labels.processed_to - settle_s, labels.undecided_from)


def split_at_speaker_changes(segment: Segment, speaker_of: SpeakerOf) -> list[Segment]:
    """``segment`` labelled, cut into one line per speaker turn its words' times show;
    words of no known speaker go with the turn before them (the first, with the next)."""
    words = segment.text.split()
    times = segment.word_times
    if len(words) < 2 or len(times) != len(words):
        return [_with_speaker(segment, speaker_of(segment.start, segment.end))]
    turns: list[tuple[str | None, list[int]]] = []
    for index, (start, end) in enumerate(times):
        who = speaker_of(start, end)
        if turns and turns[-1][0] is None:  # the words so far had no speaker: take this one
            turns[-1] = (who, [*turns[-1][1], index])
        elif turns and who in (None, turns[-1][0]):
            turns[-1][1].append(index)
        else:
            turns.append((who, [index]))
    turns = _long_turns(turns, times, segment.end)
    if len(turns) == 1:
        return [_with_speaker(segment, speaker_of(segment.start, segment.end))]
    return [
        dataclasses.replace(
            segment,
            start=segment.start if number == 0 else times[indices[0]][0],
            # where the next turn's first word starts, at the latest (word times may overlap)
            end=segment.end
            if number == len(turns) - 1
            else min(times[indices[-1]][1], times[turns[number + 1][1][0]][0]),
            text=" ".join(words[i] for i in indices),
            display="",
            word_times=tuple(times[i] for i in indices),
            speaker=who or "",
        )
        for number, (who, indices) in enumerate(turns)
    ]


def _long_turns(
    turns: list[tuple[str | None, list[int]]],
    times: tuple[tuple[float, float], ...],
    end: float,
) -> list[tuple[str | None, list[int]]]:
    """Turns shorter than MIN_TURN_S joined to the turn before (the first to the next),
    and neighbours of one speaker then made one. A turn lasts from its first word's start
    to the next turn's (the line's ``end`` for the last): a recogniser's word ends are
    rough, often bunched."""
    starts = [times[indices[0]][0] for _, indices in turns] + [end]
    kept: list[tuple[str | None, list[int]]] = []
    kept_lengths: list[float] = []
    for number, (who, indices) in enumerate(turns):
        length = starts[number + 1] - starts[number]
        if kept and (length < MIN_TURN_S or who == kept[-1][0]):
            kept[-1] = (kept[-1][0], kept[-1][1] + indices)
            kept_lengths[-1] += length
        else:
            kept.append((who, list(indices)))
            kept_lengths.append(length)
    if len(kept) > 1 and kept_lengths[0] < MIN_TURN_S:
        kept[:2] = [(kept[1][0], kept[0][1] + kept[1][1])]
    return kept


def _with_speaker(segment: Segment, speaker: str | None) -> Segment:
    return dataclasses.replace(segment, speaker=speaker or "")


class LabelledLines:
    """Segments in, the same segments with ``speaker`` out, in order."""

    def __init__(self, labeller: Labels, settle_s: float = SETTLE_S) -> None:
        self._labeller = labeller
        self._settle_s = settle_s
        self._held: deque[Segment] = deque()

    def add(self, segment: Segment) -> None:
        """Hold ``segment`` until its labels settle."""
        self._held.append(segment)

    def ready(self) -> list[Segment]:
        """The held lines whose labels have settled, labelled (and split), in order."""
        settled = settled_to(self._labeller, self._settle_s)
        ready = []
        while self._held and self._held[0].end <= settled:
            ready += split_at_speaker_changes(self._held.popleft(), self._labeller.speaker_between)
        return ready

    def finish(self) -> list[Segment]:
        """The audio ended (the labeller finished): every held line, labelled (and split)."""
        ready = [
            p
            for s in self._held
            for p in split_at_speaker_changes(s, self._labeller.speaker_between)
        ]
        self._held.clear()
        return ready
