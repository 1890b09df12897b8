"""The latency pane: per-chunk latency sparkline, percentiles, RTF, queue and drops.

Figures cover the last minute of chunks, so a slow start does not hide a
recovery and a recent slowdown is not averaged away by a long session.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from tui_captions.asr.stats import percentile
from tui_captions.tui.widgets.bands import Bands, sparkline

WINDOW_SECONDS = 60.0
LATENCY_BANDS = Bands(("good", "fair", "bad"), (300.0, 1000.0))
RTF_BANDS = Bands(("good", "fair", "bad"), (0.5, 1.0))
SPARK_CEILING_MS = 1500.0
BEHIND_BACKLOG_SECONDS = 1.0  # queued audio beyond this means the recognizer is not keeping up


@dataclass(frozen=True)
class LatencySample:
    latency_ms: float
    compute_ms: float
    queue_depth: int
    dropped: int


class LatencyStats:
    """Rolling figures over the last :data:`WINDOW_SECONDS` of chunks."""

    def __init__(self, chunk_seconds: float) -> None:
        self.chunk_seconds = chunk_seconds
        self.samples: deque[LatencySample] = deque(
            maxlen=max(1, round(WINDOW_SECONDS / chunk_seconds))
        )

    def add(self, sample: LatencySample) -> None:
        self.samples.append(sample)

    def clear(self) -> None:
        self.samples.clear()

    @property
    def latencies(self) -> list[float]:
        return [sample.latency_ms for sample in self.samples]

    def p50(self) -> float:
        return percentile(self.latencies, 50)

    def p95(self) -> float:
        return percentile(self.latencies, 95)

    def max(self) -> float:
        return max(self.latencies, default=math.nan)

    def rtf(self) -> float:
        """Compute time over audio time: above 1 the recognizer cannot keep up."""
        if not self.samples:
            return math.nan
        compute_s = sum(sample.compute_ms for sample in self.samples) / 1000.0
        return compute_s / (len(self.samples) * self.chunk_seconds)

    def dropped_in_window(self) -> int:
        if not self.samples:
            return 0
        return self.samples[-1].dropped - self.samples[0].dropped

    def behind(self) -> str | None:
        """Why the recognizer is falling behind, or None while it keeps up."""
        if not self.samples:
            return None
        backlog_s = self.samples[-1].queue_depth * self.chunk_seconds
        if backlog_s >= BEHIND_BACKLOG_SECONDS:
            return f"falling behind: {backlog_s:.1f} s of audio waiting"
        dropped = self.dropped_in_window()
        if dropped:
            return f"falling behind: {dropped} chunks dropped in the last minute"
        if self.rtf() > 1.0:
            return f"falling behind: RTF {self.rtf():.2f} (> 1)"
        return None


class LatencyPane(Widget):
    """Renders :class:`LatencyStats`; bands come from the theme's latency variables."""

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
        min-height: 4;
    }
    LatencyPane > .latency-pane--good { color: $latency-good; }
    LatencyPane > .latency-pane--fair { color: $latency-fair; }
    LatencyPane > .latency-pane--bad { color: $latency-bad; }
    LatencyPane > .latency-pane--label { color: $text-muted; }
    LatencyPane > .latency-pane--warning { color: $background; background: $error; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.stats: LatencyStats | None = None
        """Created by :meth:`start` once the model (and so the chunk length) is known."""

    def start(self, chunk_seconds: float) -> None:
        self.stats = LatencyStats(chunk_seconds)
        self.refresh()

    def add(self, sample: LatencySample) -> None:
        if self.stats is not None:
            self.stats.add(sample)
            self.refresh()

    def _band_style(self, value: float, bands: Bands = LATENCY_BANDS) -> Style:
        return self.get_component_rich_style(f"latency-pane--{bands.of(value)}")

    def _figure(self, value: float) -> Text:
        if math.isnan(value):
            return Text("-", self.get_component_rich_style("latency-pane--label"))
        return Text(f"{value:.0f}", self._band_style(value))

    def render(self) -> RenderableType:
        label = self.get_component_rich_style("latency-pane--label")
        stats = self.stats
        if stats is None:
            return Text("waiting for the model…", label)
        width = max(4, self.content_size.width)
        spark = sparkline(stats.latencies, 0.0, SPARK_CEILING_MS, width, self._band_style)
        figures = Text.assemble(
            ("p50 ", label),
            self._figure(stats.p50()),
            ("  p95 ", label),
            self._figure(stats.p95()),
            ("  max ", label),
            self._figure(stats.max()),
            (" ms", label),
        )
        last = stats.samples[-1] if stats.samples else None
        rtf = stats.rtf()
        queue = Text.assemble(
            ("RTF ", label),
            ("-" if math.isnan(rtf) else f"{rtf:.2f}", self._band_style(rtf, RTF_BANDS)),
            ("  queue ", label),
            str(last.queue_depth if last else 0),
            ("  dropped ", label),
            str(last.dropped if last else 0),
        )
        lines = [spark if stats.samples else Text("waiting for audio…", label), figures, queue]
        warning = stats.behind()
        if warning:
            lines.append(
                Text(f"⚠ {warning}", self.get_component_rich_style("latency-pane--warning"))
            )
        return Text("\n").join(lines)
