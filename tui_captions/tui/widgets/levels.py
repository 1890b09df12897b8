"""The level meter: RMS and peak in dBFS with a scale, a clip indicator and a short history."""

from __future__ import annotations

import math
from collections import deque
from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tui_captions.audio.chunking import SILENCE_DBFS
from tui_captions.tui.widgets.bands import Bands, bar, scale, sparkline

FLOOR_DBFS = -60.0
CLIP_DBFS = -0.1  # a peak this close to full scale has almost certainly clipped
CLIP_HOLD_UPDATES = 12  # keep the clip light on for ~2 s of 160 ms chunks
HISTORY_LENGTH = 120
LEVEL_BANDS = Bands(("low", "mid", "high"), (-18.0, -6.0))
TICKS = (-60, -40, -20, -10, 0)
LABEL_WIDTH = 5  # "Peak "
VALUE_WIDTH = 9  # " -23.4 dB"


def format_level(value: float) -> str:
    """The figure beside a meter, as the scale reads: digital silence says so, a level
    below the scale's floor is "< -60 dB", no level yet "-inf dB"."""
    if not math.isfinite(value):
        text = "-inf dB"
    elif value <= SILENCE_DBFS:
        text = "silence"
    elif value < FLOOR_DBFS:
        text = f"<{FLOOR_DBFS:.0f} dB"
    else:
        text = f"{value:.1f} dB"
    return text.rjust(VALUE_WIDTH)


class LevelMeter(Widget):
    """Shows the latest chunk's levels; ``history`` adds a sparkline of recent RMS values."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "level-meter--low",
        "level-meter--mid",
        "level-meter--high",
        "level-meter--empty",
        "level-meter--label",
        "level-meter--clip",
    }

    DEFAULT_CSS = """
    LevelMeter {
        height: auto;
        min-height: 4;
    }
    LevelMeter > .level-meter--low { color: $meter-low; }
    LevelMeter > .level-meter--mid { color: $meter-mid; }
    LevelMeter > .level-meter--high { color: $meter-high; }
    LevelMeter > .level-meter--empty { color: $foreground 35%; }
    LevelMeter > .level-meter--label { color: $text-muted; }
    LevelMeter > .level-meter--clip { color: $background; background: $error; text-style: bold; }
    LevelMeter.-labelled { min-height: 1; }
    """

    def __init__(
        self,
        history: bool = False,
        *,
        channel: str = "",
        label: str = "",
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.channel = channel
        self.label = label
        """Several sources: each meter is one line, led by its source's label."""
        self.set_class(bool(label), "-labelled")
        self.show_history = history
        self.history: deque[float] = deque(maxlen=HISTORY_LENGTH)
        self.clip_hold = 0
        self.overflow = False
        self.rms = self.peak = -math.inf

    def show(self, rms_dbfs: float, peak_dbfs: float, overflow: bool = False) -> None:
        """Take one chunk's levels."""
        self.clip_hold = CLIP_HOLD_UPDATES if peak_dbfs >= CLIP_DBFS else max(0, self.clip_hold - 1)
        self.overflow = overflow
        self.history.append(rms_dbfs if math.isfinite(rms_dbfs) else FLOOR_DBFS)
        self.rms, self.peak = rms_dbfs, peak_dbfs
        self.refresh()

    def reset(self) -> None:
        self.history.clear()
        self.clip_hold = 0
        self.overflow = False
        self.rms = self.peak = -math.inf
        self.refresh()

    def _band_style(self, value: float) -> Style:
        return self.get_component_rich_style(f"level-meter--{LEVEL_BANDS.of(value)}")

    def render(self) -> RenderableType:
        label = self.get_component_rich_style("level-meter--label")
        empty = self.get_component_rich_style("level-meter--empty")
        if self.label:
            name = self.label[:LABEL_WIDTH].ljust(LABEL_WIDTH + 1)
            width = max(4, self.content_size.width - len(name) - VALUE_WIDTH)
            meter = bar(self.rms, FLOOR_DBFS, 0.0, width, self._band_style, empty)
            figure = (
                Text(" CLIP".rjust(VALUE_WIDTH), self.get_component_rich_style("level-meter--clip"))
                if self.clip_hold
                else Text(format_level(self.rms), label)
            )
            return Text.assemble((name, label), meter, figure)
        width = max(4, self.content_size.width - LABEL_WIDTH - VALUE_WIDTH)
        lines = []
        for name, value in (("RMS", self.rms), ("Peak", self.peak)):
            meter = bar(value, FLOOR_DBFS, 0.0, width, self._band_style, empty)
            lines.append(
                Text.assemble(
                    (f"{name:<{LABEL_WIDTH}}", label), meter, (format_level(value), label)
                )
            )
        lines.append(Text(scale(TICKS, FLOOR_DBFS, 0.0, width, LABEL_WIDTH) + "  dBFS", label))
        status = Text()
        if self.clip_hold:
            status.append(" CLIP ", self.get_component_rich_style("level-meter--clip"))
        else:
            status.append("no clipping", label)
        if self.overflow:
            status.append("  input overflow", self._band_style(0.0))
        lines.append(status)
        if self.show_history:
            history = sparkline(list(self.history), FLOOR_DBFS, 0.0, width, self._band_style)
            lines.append(Text.assemble((f"{'hist':<{LABEL_WIDTH}}", label), history))
        return Text("\n").join(lines)
