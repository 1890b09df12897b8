"""The captions screen: session bar, transcript, levels and latency panes, status line."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from tui_captions.core.stats import LiveStats
from tui_captions.tui.widgets.bars import SessionBar, StatusLine
from tui_captions.tui.widgets.camera import CameraPane
from tui_captions.tui.widgets.figures import SessionFigures
from tui_captions.tui.widgets.latency import LatencyPane
from tui_captions.tui.widgets.levels import LevelMeter
from tui_captions.tui.widgets.transcript import TranscriptPane

SEARCH_HINT = "search the transcript…  Enter: first match · n / N: next / previous · Esc: done"
DEMO_NOTE = (
    "DEMO: a tiny model trained by this project knows only a small vocabulary and one "
    "synthetic voice; it will not understand you. Run captions-tui for real captions."
)


class MainScreen(Screen[None]):
    DEFAULT_CSS = """
    MainScreen { background: $background; }
    MainScreen > #demo-note {
        background: $warning 20%;
        color: $text;
        padding: 0 1;
        height: auto;
    }
    MainScreen #body { height: 1fr; }
    MainScreen #side { width: 40%; max-width: 48; min-width: 28; }
    MainScreen #side > Vertical {
        border: round $primary 60%;
        border-title-color: $text;
        background: $surface;
        height: auto;
        padding: 0 1;
    }
    /* The caption strip: only the last lines of text, the whole width. */
    MainScreen.-strip SessionBar, MainScreen.-strip #side, MainScreen.-strip StatusLine,
    MainScreen.-strip Footer, MainScreen.-strip #demo-note { display: none; }
    MainScreen #camera-box { display: none; }
    MainScreen.-av #camera-box { display: block; }
    MainScreen #search { display: none; margin: 0 1; }
    MainScreen.-searching #search { display: block; }
    MainScreen.-strip TranscriptPane { border: none; }
    MainScreen.-strip TranscriptLog { scrollbar-size-vertical: 0; }
    """

    def __init__(
        self, display: Callable[[str], str] = str, demo: bool = False, watch: tuple[str, ...] = ()
    ) -> None:
        super().__init__()
        self._display = display
        self._demo = demo
        self._watch = watch

    def compose(self) -> ComposeResult:
        yield SessionBar()
        if self._demo:
            yield Static(DEMO_NOTE, id="demo-note")
        with Horizontal(id="body"):
            yield TranscriptPane(self._display, watch=self._watch)
            with Vertical(id="side"):
                with Vertical(id="camera-box") as camera:
                    camera.border_title = "Camera"  # the crop the model sees
                    yield CameraPane()
                with Vertical(id="levels-box") as levels:
                    levels.border_title = "Levels"
                    yield LevelMeter(history=True)
                with Vertical(id="latency-box") as latency:
                    latency.border_title = "Latency (last minute)"
                    yield LatencyPane()
                with Vertical(id="session-box") as figures:
                    figures.border_title = "This session"
                    yield SessionFigures()
        yield Input(
            placeholder="search the transcript…  Enter: first match · Esc: done", id="search"
        )
        yield StatusLine()
        yield Footer()

    def show_strip(self, strip: bool, lines: int) -> None:
        """The caption strip (``strip``) with the last ``lines`` rows of text, or the panes."""
        self.set_class(strip, "-strip")
        pane = self.query_one(TranscriptPane)
        pane.strip_rows = lines if strip else None
        self.call_after_refresh(pane.redraw)  # wrapped again at the new width

    def set_channels(self, channels: list[tuple[str, LiveStats | None]]) -> None:
        """One meter and one latency figure per channel; labelled when there are several.

        One source keeps the full-size meter (with its history); several share the
        side column, each meter and figure under its source's label.
        """
        several = len(channels) > 1
        wanted = [channel for channel, _ in channels]
        if [m.channel for m in self.query(LevelMeter)] != wanted:
            levels, latency = self.query_one("#levels-box"), self.query_one("#latency-box")
            self.query(LevelMeter).remove()
            self.query(LatencyPane).remove()
            levels.mount_all(
                LevelMeter(history=not several, channel=c, label=c if several else "")
                for c in wanted
            )
            latency.mount_all(
                LatencyPane(channel=c, label=c if several else "", compact=several) for c in wanted
            )
        for channel, stats in channels:
            if stats is not None:
                self.latency(channel).start(stats, stats.chunk_seconds)

    def meter(self, channel: str) -> LevelMeter:
        return next(m for m in self.query(LevelMeter) if m.channel == channel)

    def latency(self, channel: str) -> LatencyPane:
        return next(p for p in self.query(LatencyPane) if p.channel == channel)
