"""Per-chunk compute and latency figures, summarised the same way everywhere."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence

from tui_captions.core.events import RecognizerUpdate, SourceEnded
from tui_captions.core.felt import WordClock

FELT_WORDS = 200
"""The felt delays cover the last this many words (about a minute of speech)."""


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def compute_summary(compute_ms: Sequence[float], chunk_seconds: float) -> dict[str, float | int]:
    """The ``--stats`` object of ``transcribe``: per-chunk compute, RTF, first vs last minute."""
    per_minute = max(1, round(60.0 / chunk_seconds))
    total_ms = sum(compute_ms)
    audio_s = len(compute_ms) * chunk_seconds
    return {
        "chunks": len(compute_ms),
        "audio_s": round(audio_s, 3),
        "compute_ms_p50": round(percentile(compute_ms, 50), 3),
        "compute_ms_p95": round(percentile(compute_ms, 95), 3),
        "compute_ms_max": round(max(compute_ms, default=math.nan), 3),
        "rtf": round(total_ms / 1000.0 / audio_s, 4) if audio_s else math.nan,
        "first_minute_ms_p50": round(percentile(compute_ms[:per_minute], 50), 3),
        "last_minute_ms_p50": round(percentile(compute_ms[-per_minute:], 50), 3),
    }


class LiveStats:
    """Rolling figures for ``--stats-every`` and the TUI's latency pane.

    Latency and compute percentiles cover the last ``window_s`` seconds of
    audio, so memory stays flat in long sessions; counts cover the session,
    across its sources' restarts (each counts its dropped chunks from zero).

    The felt delays (``felt_*``, the last :data:`FELT_WORDS` words) run from each word's
    end, as the engine's word times place it, to the first partial that showed it and to
    its final line, each update placed at its chunk's end plus its latency. An RNN-T
    puts a word's end at the end of the chunk that wrote it, so these leave out how late
    that chunk was (``bench.latency`` measures the whole delay against known word ends).
    """

    def __init__(self, chunk_seconds: float, window_s: float = 60.0) -> None:
        size = max(1, round(window_s / chunk_seconds))
        self.chunk_seconds = chunk_seconds
        self._latency: deque[float] = deque(maxlen=size)
        self._compute: deque[float] = deque(maxlen=size)
        self.chunks = 0
        self._dropped_before = 0  # by the source sessions that ended
        self._dropped_now = 0  # by the one running
        self.queue_depth = 0
        self.queue_depth_max = 0
        self.overflows = 0
        self._clock = WordClock()
        self._felt_partial: deque[float] = deque(maxlen=FELT_WORDS)
        self._felt_final: deque[float] = deque(maxlen=FELT_WORDS)

    def add(self, update: RecognizerUpdate) -> None:
        self.chunks += 1
        self._latency.append(update.latency_ms)
        self._compute.append(update.compute_ms)
        self._dropped_now = update.dropped
        self.queue_depth = update.queue_depth
        self.queue_depth_max = max(self.queue_depth_max, update.queue_depth)
        self.overflows += int(update.overflow)
        if update.audio_end_s is not None:
            at = update.audio_end_s + update.latency_ms / 1000.0
            for word in self._clock.update(at, update.partial, update.finals):
                if word.end is not None:
                    self._felt_partial.append((word.partial_at - word.end) * 1000.0)
                    self._felt_final.append((word.final_at - word.end) * 1000.0)

    def quiet(self) -> None:
        """The source went quiet: its open line ends untimed (no update shows it)."""
        self._clock.forget()

    def ended(self, event: SourceEnded) -> None:
        """A source session ended: its drops (to its last chunk) are added to the earlier."""
        self._dropped_before += event.dropped
        self._dropped_now = 0
        self._clock.forget()

    @property
    def dropped(self) -> int:
        return self._dropped_before + self._dropped_now

    def summary(self) -> dict[str, float | int | None]:
        audio_s = len(self._compute) * self.chunk_seconds
        return {
            "chunks": self.chunks,
            "latency_ms_p50": _rounded(percentile(self._latency, 50)),
            "latency_ms_p95": _rounded(percentile(self._latency, 95)),
            "compute_ms_p50": _rounded(percentile(self._compute, 50)),
            "felt_partial_ms_p50": _rounded(percentile(self._felt_partial, 50), 0),
            "felt_partial_ms_p95": _rounded(percentile(self._felt_partial, 95), 0),
            "felt_final_ms_p50": _rounded(percentile(self._felt_final, 50), 0),
            "felt_final_ms_p95": _rounded(percentile(self._felt_final, 95), 0),
            "rtf": _rounded(sum(self._compute) / 1000.0 / audio_s if audio_s else math.nan, 4),
            "queue_depth": self.queue_depth,
            "queue_depth_max": self.queue_depth_max,
            "dropped": self.dropped,
            "overflows": self.overflows,
        }


def _rounded(value: float, digits: int = 1) -> float | None:
    """JSON has no NaN: figures with no data yet are null."""
    return None if math.isnan(value) else round(value, digits)
