"""One captioning session's transcript across pauses and source switches.

Each engine run numbers its segments and times them from its own start;
the session places them on one time line (seconds since the session began),
numbers them once, and journals each as it becomes final.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from tui_captions.asr.stats import compute_summary, percentile
from tui_captions.transcript.journal import SessionJournal
from tui_captions.transcript.segments import Segment

JournalFactory = Callable[[], SessionJournal]


class TranscriptSession:
    def __init__(self, open_journal: JournalFactory) -> None:
        self._open_journal = open_journal
        self.journal: SessionJournal | None = None
        self.segments: list[Segment] = []
        self.latency_ms: list[float] = []
        self.compute_ms: list[float] = []

    def add(self, segment: Segment, run_offset: float) -> Segment:
        """Record a final segment of a run that started ``run_offset`` s into the session."""
        placed = replace(
            segment,
            id=len(self.segments),
            start=segment.start + run_offset,
            end=segment.end + run_offset,
        )
        self.segments.append(placed)
        self.ensure_journal().append(placed)
        return placed

    def record(self, latency_ms: float, compute_ms: float) -> None:
        self.latency_ms.append(latency_ms)
        self.compute_ms.append(compute_ms)

    def stats(self, chunk_seconds: float | None) -> dict[str, float | int]:
        """The journal's closing figures: compute summary plus latency percentiles."""
        if chunk_seconds is None or not self.compute_ms:
            return {"chunks": 0}
        return {
            **compute_summary(self.compute_ms, chunk_seconds),
            "latency_ms_p50": round(percentile(self.latency_ms, 50), 3),
            "latency_ms_p95": round(percentile(self.latency_ms, 95), 3),
            "latency_ms_max": round(max(self.latency_ms), 3),
        }

    def ensure_journal(self) -> SessionJournal:
        if self.journal is None:
            self.journal = self._open_journal()
        return self.journal
