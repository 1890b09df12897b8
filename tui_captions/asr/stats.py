"""Per-chunk compute and latency figures, summarised the same way everywhere."""

from __future__ import annotations

import math
from collections.abc import Sequence


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
