"""Subtitle cues as people can read them, after the broadcast conventions (BBC, Netflix).

A recognizer's segment is a paragraph: up to ``max_segment`` seconds (15 by
default) of text on one line. Shown as one cue it fills the screen and
outstays the speech, so SRT and WebVTT cut each segment into cues of at most
two balanced lines of 42 characters and 7 seconds, between words, preferring
a sentence end, then a clause end, to a full cue; a pause of a second or more
between words ends a cue; a cue shorter than a second stays up into the
silence after it, never over the next cue.

Each word's time is when the recognizer emitted it (a segment's
``word_times``, to the chunk: 160 ms for the Emformer). Where a segment has
none (older journals, a beam search whose words are not its path's), a word's
time is estimated from its share of the segment's letters: the cuts still land
on the speech's time line at the rate the segment was spoken.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise

from tui_captions.core.segments import Segment

MAX_LINE_CHARS = 42
MAX_LINES = 2
MAX_CUE_S = 7.0
MIN_CUE_S = 1.0
PAUSE_S = 1.0  # a silence this long between two words ends a cue: no cue spans it
SENTENCE_ENDS = (".", "?", "!", "…")
CLAUSE_ENDS = (",", ";", ":", "\u2014", "\u2013")  # dashes: em, en


@dataclass(frozen=True)
class TimedWord:
    text: str
    start: float
    end: float


@dataclass(frozen=True)
class Cue:
    """``lines`` hold the words only; a writer adds the source's label (``lead``)."""

    start: float
    end: float
    lines: tuple[str, ...]
    channel: str = ""


def timed_words(segment: Segment, raw: bool = False) -> list[TimedWord]:
    """The words a reader gets (readable, or as written with ``raw``) with their times: the
    recognizer's where it gave one per word (punctuation keeps the words), else estimated."""
    text = segment.shown(raw)
    words = text.split()
    if not segment.word_times or len(segment.word_times) != len(words):
        return estimated_word_times(text, segment.start, segment.end)
    # Words that came in one chunk share its times, and a word ends in the chunk the next
    # one starts in: each run of words with one start shares the time up to the next run's
    # start by its letters, so word times follow one another and no cut makes cues overlap.
    timed: list[TimedWord] = []
    times = list(segment.word_times)
    first = 0
    while first < len(words):
        after = first + 1
        while after < len(words) and times[after][0] == times[first][0]:
            after += 1
        start = times[first][0]
        end = max(max(e for _, e in times[first:after]), start)
        if after < len(words):
            end = min(end, max(times[after][0], start))
        timed += estimated_word_times(" ".join(words[first:after]), start, end)
        first = after
    return timed


def estimated_word_times(text: str, start: float, end: float) -> list[TimedWord]:
    """The words of ``text`` spread over ``start``-``end`` by their length (with the space
    after each), one after the other: a cue ends where the next one starts."""
    words = text.split()
    total = sum(len(word) + 1 for word in words)
    span = max(0.0, end - start)
    timed = []
    before = 0
    for word in words:
        after = before + len(word) + 1
        timed.append(TimedWord(word, start + span * before / total, start + span * after / total))
        before = after
    return timed


def layout(words: Sequence[TimedWord], lead: str = "", channel: str = "") -> Iterator[Cue]:
    """One segment's words as cues within the limits; ``lead`` (a label such as ``You: ``)
    starts every cue's first line and takes its room."""
    first = 0
    while first < len(words):
        cut = _cut(words, first, len(lead))
        cue_words = words[first:cut]
        start = cue_words[0].start
        end = min(max(start, cue_words[-1].end), start + MAX_CUE_S)
        yield Cue(start, end, _lines([w.text for w in cue_words], len(lead)), channel)
        first = cut


def held_on(cue: Cue, next_start: float | None) -> Cue:
    """``cue`` kept up for about a second if the speech allows: into the silence after it,
    never past the next cue's start (``None``: nothing follows)."""
    wanted = cue.start + MIN_CUE_S
    if cue.end >= wanted:
        return cue
    end = wanted if next_start is None else min(wanted, next_start)
    return replace(cue, end=max(cue.end, end))


def _cut(words: Sequence[TimedWord], first: int, lead: int) -> int:
    """Where the cue that starts at ``first`` ends: the fullest cue within the limits, or an
    earlier sentence (else clause) end once the cue holds half a line."""
    last = first + 1  # one word, however long, makes a cue
    while last < len(words) and _fits(words[first : last + 1], lead):
        last += 1
    if last == len(words):
        return last

    def preference(cut: int) -> tuple[int, int]:
        text = " ".join(w.text for w in words[first:cut])
        return (_rank(text) if len(text) >= MAX_LINE_CHARS // 2 else 0), cut

    return max(range(first + 1, last + 1), key=preference)


def _rank(text: str) -> int:
    """How good a place the end of ``text`` is to cut: 2 a sentence end, 1 a clause end."""
    closing = text.rstrip("\"')]\u00bb\u201d\u2019")  # closing quotes and brackets
    if closing.endswith(SENTENCE_ENDS):
        return 2
    return 1 if closing.endswith(CLAUSE_ENDS) else 0


def _fits(words: Sequence[TimedWord], lead: int) -> bool:
    """Whether ``words`` make one cue: short enough, and on two lines when filled in turn."""
    if words[-1].end - words[0].start > MAX_CUE_S:
        return False
    if any(after.start - before.end >= PAUSE_S for before, after in pairwise(words)):
        return False
    room = [MAX_LINE_CHARS - lead] + [MAX_LINE_CHARS] * (MAX_LINES - 1)
    line, used = 0, -1  # characters on the line, counting a space before each word
    for word in words:
        if used + 1 + len(word.text) <= room[line]:
            used += 1 + len(word.text)
            continue
        line, used = line + 1, len(word.text)
        if line == MAX_LINES or used > room[line]:
            return False
    return True


def _lines(words: Sequence[str], lead: int) -> tuple[str, ...]:
    """The words on one line, or two balanced ones (the break after punctuation if that
    costs a few characters at most, the top line the shorter on a tie)."""
    text = " ".join(words)
    widths = [
        (split, lead + len(" ".join(words[:split])), len(" ".join(words[split:])))
        for split in range(1, len(words))
    ]
    splits = [w for w in widths if w[1] <= MAX_LINE_CHARS and w[2] <= MAX_LINE_CHARS]
    if lead + len(text) <= MAX_LINE_CHARS or not splits:
        return (text,)

    def cost(width: tuple[int, int, int]) -> tuple[int, bool]:
        split, top, bottom = width
        return max(top, bottom) - (4 if _rank(words[split - 1]) else 0), top > bottom

    split = min(splits, key=cost)[0]
    return (" ".join(words[:split]), " ".join(words[split:]))
