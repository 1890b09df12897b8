"""Pure logic behind the panes: bands, bars, scales, the falling-behind warning, clocks."""

from __future__ import annotations

import math

import pytest
from rich.style import Style

from tui_captions.core.names import short_name
from tui_captions.core.timefmt import clock, duration, elapsed
from tui_captions.tui.widgets.bands import Bands, bar, scale, sparkline
from tui_captions.tui.widgets.latency import behind
from tui_captions.tui.widgets.levels import LEVEL_BANDS, format_level

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


def test_behind_warns_on_backlog_recent_drops_and_slow_compute() -> None:
    assert behind(2, 0.1, 0.16, math.inf) is None
    assert behind(7, 0.1, 0.16, math.inf) == "behind by 1.1 s of audio"
    assert behind(1, 0.3, 1.0, math.inf) is None  # a CTC hop waiting: the normal rhythm
    assert behind(2, 0.3, 1.0, math.inf) == "behind by 2.0 s of audio"
    assert behind(0, 0.1, 0.16, 2.0) == "behind: audio dropped"
    assert behind(0, 0.1, 0.16, 20.0) is None
    assert behind(0, 1.25, 0.16, math.inf) == "behind: RTF 1.25 > 1"
    assert behind(0, None, 0.16, math.inf) is None


def test_elapsed_format() -> None:
    assert elapsed(0) == "00:00"
    assert elapsed(61.9) == "01:01"
    assert elapsed(3600 + 62) == "1:01:02"
    assert duration(61.6) == "0:01:02" and duration(3600 + 62) == "1:01:02"
    assert clock(3723.4567, ",") == "01:02:03,457" and clock(-1, ".") == "00:00:00.000"


def test_level_figures_read_as_the_meter_scale_does() -> None:
    assert format_level(-23.44) == " -23.4 dB"
    assert format_level(-120.0) == "  silence"  # what the capture reports for digital zeros
    assert format_level(-75.0) == "  <-60 dB"  # below the scale's floor
    assert format_level(-math.inf) == "  -inf dB"  # nothing heard yet
    assert len({len(format_level(v)) for v in (-120.0, -75.0, -5.0, -math.inf)}) == 1


def test_the_session_bar_names_files_and_model_directories_not_their_paths() -> None:
    assert short_name("/home/me/talks/keynote.mp3") == "keynote.mp3"
    assert short_name("tests/fixtures/tiny-emformer") == "tiny-emformer"
    assert short_name("/models/tiny-emformer/") == "tiny-emformer"
    assert (
        short_name("https://example.org/live/stream.m3u8") == "https://example.org/live/stream.m3u8"
    )
    assert (
        short_name("Monitor of Null Output (demo.monitor)")
        == "Monitor of Null Output (demo.monitor)"
    )
    assert short_name("emformer-librispeech") == "emformer-librispeech"
