"""Times as people read them: one module for the subtitle clock, the elapsed
time of the session bar and the duration of a saved session."""

from __future__ import annotations


def _hms(seconds: float) -> tuple[int, int, int]:
    hours, rest = divmod(max(0, round(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    return hours, minutes, secs


def clock(seconds: float, decimal_mark: str) -> str:
    """HH:MM:SS<mark>mmm as subtitle formats write times."""
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal_mark}{millis:03d}"


def elapsed(seconds: float) -> str:
    """MM:SS below an hour, H:MM:SS after (whole seconds passed, as a stopwatch shows)."""
    hours, minutes, secs = _hms(int(max(0.0, seconds)))
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def duration(seconds: float) -> str:
    """H:MM:SS, rounded to the second: how long a saved session ran."""
    hours, minutes, secs = _hms(seconds)
    return f"{hours}:{minutes:02d}:{secs:02d}"
