"""The latency pane: per-chunk latency sparkline, p50/p95/max, the felt delay, RTF, queue
and drops.

Percentiles, RTF and counts come from the engine's own rolling
:class:`~tui_captions.pipeline.channel.LiveStats` (the same figures ``live
--stats-every`` prints); the pane keeps only what it draws: the recent
latencies for the sparkline and their maximum.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tui_captions.tui.widgets.bands import Bands, sparkline

if TYPE_CHECKING:
    from tui_captions.core.events import RecognizerUpdate
    from tui_captions.core.stats import LiveStats

LATENCY_BANDS = Bands(("good", "fair", "bad"), (300.0, 1000.0))
RTF_BANDS = Bands(("good", "fair", "bad"), (0.5, 1.0))
# The felt delay, in seconds: text as the per-chunk latency; a final line also waits
# for the endpoint's silence (0.8 s) after its last word.
FELT_TEXT_BANDS = Bands(("good", "fair", "bad"), (0.3, 1.0))
FELT_LINE_BANDS = Bands(("good", "fair", "bad"), (1.5, 3.0))
SPARK_CEILING_MS = 1500.0
SERIES_SECONDS = 60.0
BEHIND_BACKLOG_SECONDS = 1.0  # queued audio beyond this means the recognizer is not keeping up
RECENT_DROP_SECONDS = 10.0  # a drop this recent keeps the warning up


def behind(
    queue_depth: int, rtf: float | None, chunk_seconds: float, seconds_since_drop: float
) -> str | None:
    """Why the recognizer is falling behind (short: the pane is narrow), or None if it keeps up."""
    backlog_s = queue_depth * chunk_seconds
    # One chunk waiting while one decodes is the normal rhythm, even of a 1 s chunk (CTC).
    if backlog_s >= BEHIND_BACKLOG_SECONDS and queue_depth >= 2:
        return f"behind by {backlog_s:.1f} s of audio"
    if seconds_since_drop < RECENT_DROP_SECONDS:
        return "behind: audio dropped"
    if rtf is not None and rtf > 1.0:
        return f"behind: RTF {rtf:.2f} > 1"
    return None


class LatencyPane(Widget):
    """Shows the session's :class:`LiveStats`; bands come from the theme's latency variables."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "latency-pane--good",
        "latency-pane--fair",
        "latency-pane--bad",
        "latency-pane--label",
        "latency-pane--warning",
    }

    DEFAULT_CSS = """
    LatencyPane {
        height: auto;
        min-height: 5;  /* four lines of figures and the falling-behind warning's row */
    }
    LatencyPane > .latency-pane--good { color: $latency-good; }
    LatencyPane > .latency-pane--fair { color: $latency-fair; }
    LatencyPane > .latency-pane--bad { color: $latency-bad; }
    LatencyPane > .latency-pane--label { color: $text-muted; }
    LatencyPane.-compact { min-height: 1; }
    LatencyPane > .latency-pane--warning {
        color: $background;
        background: $error;
        text-style: bold;
    }
    """

    def __init__(
        self,
        *,
        channel: str = "",
        label: str = "",
        compact: bool = False,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.channel = channel
        self.label = label
        self.compact = compact
        """Several sources: each one's figures on one line under its label, no sparkline."""
        self.set_class(compact, "-compact")
        self.stats: LiveStats | None = None
        self.chunk_seconds = 0.0
        self.series: deque[float] = deque()
        self._chunks_since_drop = math.inf
        self._dropped = 0

    def start(self, stats: LiveStats, chunk_seconds: float) -> None:
        """Show ``stats`` (fed by the app) from now on."""
        self.stats, self.chunk_seconds = stats, chunk_seconds
        self.series = deque(maxlen=max(1, round(SERIES_SECONDS / chunk_seconds)))
        self.refresh()

    def add(self, update: RecognizerUpdate) -> None:
        self.series.append(update.latency_ms)
        self._chunks_since_drop = (
            0 if update.dropped > self._dropped else self._chunks_since_drop + 1
        )
        self._dropped = update.dropped
        self.refresh()

    def _band_style(self, value: float, bands: Bands = LATENCY_BANDS) -> Style:
        return self.get_component_rich_style(f"latency-pane--{bands.of(value)}")

    def _figure(self, value: float | None, bands: Bands = LATENCY_BANDS, fmt: str = ".0f") -> Text:
        if value is None:
            return Text("-", self.get_component_rich_style("latency-pane--label"))
        return Text(format(value, fmt), self._band_style(value, bands))

    def render(self) -> RenderableType:
        label = self.get_component_rich_style("latency-pane--label")
        if self.stats is None:
            return Text("waiting for the model…", label)
        if not self.series:
            return Text("waiting for audio…", label)
        figures = self.stats.summary()
        width = max(4, self.content_size.width)
        if self.compact:
            lines = [
                Text.assemble(
                    (f"{self.label[:5]:<6}", label),
                    self._figure(figures["latency_ms_p50"]),
                    (" / ", label),
                    self._figure(figures["latency_ms_p95"]),
                    (" ms  drop ", label),
                    str(figures["dropped"]),
                )
            ]
            return Text("\n").join(lines + self._warnings(figures))
        lines = [
            sparkline(list(self.series), 0.0, SPARK_CEILING_MS, width, self._band_style),
            Text.assemble(
                ("p50 ", label),
                self._figure(figures["latency_ms_p50"]),
                ("  p95 ", label),
                self._figure(figures["latency_ms_p95"]),
                ("  max ", label),
                self._figure(max(self.series)),
                (" ms", label),
            ),
            self._felt(figures),
            Text.assemble(
                ("RTF ", label),
                self._figure(figures["rtf"], RTF_BANDS, ".2f"),
                ("  queue ", label),
                str(figures["queue_depth"]),
                ("  dropped ", label),
                str(figures["dropped"]),
            ),
        ]
        return Text("\n").join(lines + self._warnings(figures))

    def _felt(self, figures: dict[str, float | int | None]) -> Text:
        """The felt delay's medians, in seconds: from a word's end to the text showing it,
        and to its final line."""

        def seconds(key: str) -> float | None:
            value = figures[key]
            return None if value is None else value / 1000.0

        label = self.get_component_rich_style("latency-pane--label")
        return Text.assemble(
            ("felt  text ", label),
            self._figure(seconds("felt_partial_ms_p50"), FELT_TEXT_BANDS, ".1f"),
            ("  line ", label),
            self._figure(seconds("felt_final_ms_p50"), FELT_LINE_BANDS, ".1f"),
            (" s", label),
        )

    def _warnings(self, figures: dict[str, float | int | None]) -> list[Text]:
        rtf = figures["rtf"]
        warning = behind(
            int(figures["queue_depth"] or 0),
            None if rtf is None else float(rtf),
            self.chunk_seconds,
            self._chunks_since_drop * self.chunk_seconds,
        )
        if not warning:
            return []
        return [Text(f"! {warning}", self.get_component_rich_style("latency-pane--warning"))]
