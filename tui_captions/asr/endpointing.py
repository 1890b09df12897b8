"""Endpoints: when the text of the open segment becomes a final segment.

Engine-neutral: any recognizer feeds its best token ids of the open segment
after each chunk (the RNN-T's best hypothesis, a CTC window's collapsed best
path) and restarts its search when the tracker says the segment closed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from tui_captions.core.segments import Segment

DEFAULT_ENDPOINT_SILENCE_S = 0.8
DEFAULT_MAX_SEGMENT_S = 15.0

Detokenize = Callable[[Sequence[int]], str]


TokenTime = tuple[float, float]


def word_times(
    tokens: Sequence[int], times: Sequence[TokenTime], detokenize: Detokenize
) -> tuple[TokenTime, ...]:
    """Each word's start and end from its tokens' times, whatever the tokens are (word
    pieces, letters with a separator): a word starts at the token that first brings it
    into the text and ends at the last token before the next word's. () when the text's
    words cannot be matched to tokens so (no tokens, or a detokenizer that rewrites)."""
    firsts: list[int] = []  # per word, the token that starts it
    for count in range(1, len(tokens) + 1):
        words = len(detokenize(tokens[:count]).split())
        firsts += [count - 1] * (words - len(firsts))
    if not firsts or len(firsts) != len(detokenize(tokens).split()):
        return ()
    afters = [*firsts[1:], len(tokens)]
    ends = [max(first, after - 1) for first, after in zip(firsts, afters, strict=True)]
    return tuple((times[first][0], times[end][1]) for first, end in zip(firsts, ends, strict=True))


def _common_prefix(before: Sequence[int], now: Sequence[int]) -> int:
    kept = 0
    for old, new in zip(before, now, strict=False):  # the shorter one's length
        if old != new:
            break
        kept += 1
    return kept


@dataclass
class _OpenSegment:
    tokens: list[int] = field(default_factory=list)
    chunks: list[int] = field(default_factory=list)  # the chunk each token first came in
    start: float | None = None
    end: float = 0.0
    quiet_chunks: int = 0


class SegmentTracker:
    """The open segment of one stream, on that stream's time line (chunk index x chunk length).

    ``endpoint_silence_s`` without new tokens, or ``max_segment_s`` of text, ends a segment.
    """

    def __init__(
        self,
        chunk_seconds: float,
        detokenize: Detokenize,
        endpoint_silence_s: float = DEFAULT_ENDPOINT_SILENCE_S,
        max_segment_s: float = DEFAULT_MAX_SEGMENT_S,
    ) -> None:
        self._chunk_seconds = chunk_seconds
        self._detokenize = detokenize
        self._max_segment_s = max_segment_s
        self._quiet_chunks_for_endpoint = max(1, round(endpoint_silence_s / chunk_seconds))
        self._open = _OpenSegment()
        self._next_id = 0

    def reset(self) -> None:
        """Drop the open segment (a new stream starts); segment ids go on."""
        self._open = _OpenSegment()

    @property
    def partial(self) -> str:
        """The open segment's text: it may still change."""
        return self._detokenize(self._open.tokens)

    def update(self, tokens: Sequence[int], index: int) -> bool:
        """The best tokens after chunk ``index``; True when an endpoint was reached
        (then :meth:`close` the segment and restart the search)."""
        chunk_start = index * self._chunk_seconds
        open_segment = self._open
        current = list(tokens)
        if current != open_segment.tokens:
            if open_segment.start is None:
                open_segment.start = chunk_start
            kept = _common_prefix(open_segment.tokens, current)
            open_segment.chunks = open_segment.chunks[:kept] + [index] * (len(current) - kept)
            open_segment.tokens = current
            open_segment.end = chunk_start + self._chunk_seconds
            open_segment.quiet_chunks = 0
            return open_segment.end - open_segment.start >= self._max_segment_s
        open_segment.quiet_chunks += 1
        quiet = open_segment.quiet_chunks >= self._quiet_chunks_for_endpoint
        return bool(open_segment.tokens) and quiet

    def close(self, tokens: Sequence[int] | None = None) -> tuple[Segment, ...]:
        """Emit the open text as a final segment (none if it is empty) and open a new one;
        ``tokens``: what the search finally chose for it, if not its last best."""
        open_segment, self._open = self._open, _OpenSegment()
        chosen = open_segment.tokens if tokens is None else list(tokens)
        text = self._detokenize(chosen)
        if not text or open_segment.start is None:
            return ()
        # The search's final choice may differ at the end: those tokens came last.
        kept = _common_prefix(open_segment.tokens, chosen)
        last = open_segment.chunks[-1] if open_segment.chunks else 0
        chunks = open_segment.chunks[:kept] + [last] * (len(chosen) - kept)
        seconds = self._chunk_seconds
        times = [(chunk * seconds, (chunk + 1) * seconds) for chunk in chunks]
        segment = Segment(
            self._next_id,
            open_segment.start,
            open_segment.end,
            text,
            word_times=word_times(chosen, times, self._detokenize),
        )
        self._next_id += 1
        return (segment,)
