"""The captions screen: session bar, transcript, levels and latency panes, status line."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Static

from tui_captions.tui.widgets.bars import SessionBar, StatusLine
from tui_captions.tui.widgets.latency import LatencyPane
from tui_captions.tui.widgets.levels import LevelMeter
from tui_captions.tui.widgets.transcript import TranscriptPane

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
    """

    def __init__(self, display: Callable[[str], str] = str, demo: bool = False) -> None:
        super().__init__()
        self._display = display
        self._demo = demo

    def compose(self) -> ComposeResult:
        yield SessionBar()
        if self._demo:
            yield Static(DEMO_NOTE, id="demo-note")
        with Horizontal(id="body"):
            yield TranscriptPane(self._display)
            with Vertical(id="side"):
                with Vertical(id="levels-box") as levels:
                    levels.border_title = "Levels"
                    yield LevelMeter(history=True)
                with Vertical(id="latency-box") as latency:
                    latency.border_title = "Latency (last minute)"
                    yield LatencyPane()
        yield StatusLine()
        yield Footer()
