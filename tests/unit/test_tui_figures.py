"""Pure logic behind the panes: bands, bars, scales, latency figures, session time line."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from rich.style import Style

from tui_captions.transcript.journal import SessionJournal, read_journal
from tui_captions.transcript.segments import Segment
from tui_captions.tui.session import TranscriptSession
from tui_captions.tui.widgets.bands import Bands, bar, scale, sparkline
from tui_captions.tui.widgets.latency import LatencySample, LatencyStats
from tui_captions.tui.widgets.levels import LEVEL_BANDS
from tui_captions.tui.widgets.transcript import format_elapsed

PLAIN = Style()


def test_bands_pick_by_exclusive_upper_bound() -> None:
    assert [LEVEL_BANDS.of(v) for v in (-60.0, -18.0, -6.1, -6.0, 0.0)] == [
        "low",
        "mid",
        "mid",
        "high",
        "high",
    ]
    with pytest.raises(ValueError):
        Bands(("a", "b"), (1.0, 2.0))


def test_bar_fills_in_proportion_and_colours_each_cell_by_its_position() -> None:
    styles = {"low": Style(color="green"), "mid": Style(color="yellow"), "high": Style(color="red")}
    text = bar(-30.0, -60.0, 0.0, 10, lambda v: styles[LEVEL_BANDS.of(v)], PLAIN)
    assert text.plain == "█████·····"
    full = bar(0.0, -60.0, 0.0, 10, lambda v: styles[LEVEL_BANDS.of(v)], PLAIN)
    colours = [span.style.color.name for span in full.spans]  # type: ignore[union-attr]
    assert colours[0] == "green" and colours[-1] == "red" and "yellow" in colours


def test_sparkline_shows_the_last_values_only() -> None:
    assert sparkline([0, 50, 100], 0, 100, 10, lambda _v: PLAIN).plain == "▁▅█"
    assert sparkline(list(range(20)), 0, 19, 4, lambda _v: PLAIN).plain == "▇▇██"
    assert sparkline([500], 0, 100, 3, lambda _v: PLAIN).plain == "█"


def test_scale_places_ticks_and_drops_overlaps() -> None:
    line = scale((-60, -40, -20, 0), -60.0, 0.0, 30, indent=5)
    assert line.startswith("     -60")
    assert line.rstrip().endswith("0")
    assert line.index("-40") < line.index("-20")
    crowded = scale((-60, -59, 0), -60.0, 0.0, 10)
    assert "-59" not in crowded


def test_latency_stats_over_the_window() -> None:
    stats = LatencyStats(chunk_seconds=0.16)
    assert math.isnan(stats.p50()) and stats.behind() is None
    for ms in range(1, 101):
        stats.add(LatencySample(float(ms), 8.0, 0, 0))
    assert stats.p50() == 50 and stats.p95() == 95 and stats.max() == 100
    assert stats.rtf() == pytest.approx(0.05)
    assert stats.behind() is None
    for _ in range(400):
        stats.add(LatencySample(10.0, 8.0, 0, 0))
    assert len(stats.samples) == 375  # one minute of 160 ms chunks
    assert stats.max() == 10.0
    stats.add(LatencySample(100.0, 8.0, 10, 0))
    assert stats.behind() == "falling behind: 1.6 s of audio waiting"


def test_latency_stats_report_recent_drops_and_slow_compute() -> None:
    stats = LatencyStats(chunk_seconds=0.16)
    stats.add(LatencySample(100.0, 8.0, 0, 3))
    stats.add(LatencySample(100.0, 8.0, 0, 7))
    assert stats.behind() == "falling behind: 4 chunks dropped in the last minute"
    slow = LatencyStats(chunk_seconds=0.16)
    slow.add(LatencySample(900.0, 200.0, 0, 0))
    assert slow.behind() == "falling behind: RTF 1.25 (> 1)"


def test_elapsed_format() -> None:
    assert format_elapsed(0) == "00:00"
    assert format_elapsed(61.9) == "01:01"
    assert format_elapsed(3600 + 62) == "1:01:02"


def test_session_places_runs_on_one_time_line_and_journals_them(tmp_path: Path) -> None:
    session = TranscriptSession(
        lambda: SessionJournal.create(source="mic", model="m", directory=tmp_path)
    )
    first = session.add(Segment(0, 1.0, 2.0, "hello there"), run_offset=0.0)
    # A second run (after a pause or a source switch) numbers from 0 again.
    second = session.add(Segment(0, 0.5, 1.5, "second run"), run_offset=30.0)
    assert (first.id, first.start) == (0, 1.0)
    assert (second.id, second.start, second.end) == (1, 30.5, 31.5)
    session.record(120.0, 9.0)
    journal = session.ensure_journal()
    journal.close(session.stats(0.16))
    saved = read_journal(journal.path)
    assert [s.text for s in saved.segments] == ["hello there", "second run"]
    assert saved.segments[1].start == 30.5
    assert saved.stats["latency_ms_p50"] == 120.0
