"""The captions screen: session bar, transcript, levels and latency panes, status line.

The screen owns its widgets and what the user does with them (search, the caption
strip, follow, clear). The session's events reach it through its sink
(:class:`ScreenSink`, which the app subscribes to the session); the app gives it the
rest through a small API and the reactive attributes its bars are bound to, and hears
from it through messages: the screen never asks the app anything.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static

from tui_captions.core.sinks import Partial, SessionSink
from tui_captions.tui.keys import CAPTIONS_KEYS, bindings
from tui_captions.tui.widgets.bars import Heading, SessionBar, Severity, Status, StatusLine
from tui_captions.tui.widgets.camera import CameraPane
from tui_captions.tui.widgets.figures import Figures, SessionFigures
from tui_captions.tui.widgets.latency import LatencyPane
from tui_captions.tui.widgets.levels import LevelMeter
from tui_captions.tui.widgets.transcript import TranscriptPane

if TYPE_CHECKING:
    import numpy as np

    from tui_captions.core.events import RecognizerUpdate, SourceEnded
    from tui_captions.core.segments import Segment
    from tui_captions.core.stats import LiveStats

Channels = Sequence[tuple[str, "LiveStats | None"]]
"""Each source's channel and its live figures (None until its engine exists)."""

DEMO_NOTE = (
    "DEMO: a tiny model trained by this project knows only a small vocabulary and one "
    "synthetic voice; it will not understand you. Run captions-tui for real captions."
)


class CaptionsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings(CAPTIONS_KEYS)

    DEFAULT_CSS = """
    CaptionsScreen { background: $background; }
    CaptionsScreen > #demo-note {
        background: $warning 20%;
        color: $text;
        padding: 0 1;
        height: auto;
    }
    CaptionsScreen #body { height: 1fr; }
    CaptionsScreen #side { width: 40%; max-width: 48; min-width: 28; }
    CaptionsScreen #side > Vertical {
        border: round $primary 60%;
        border-title-color: $text;
        background: $surface;
        height: auto;
        padding: 0 1;
    }
    /* The caption strip: only the last lines of text, the whole width. */
    CaptionsScreen.-strip SessionBar, CaptionsScreen.-strip #side,
    CaptionsScreen.-strip StatusLine, CaptionsScreen.-strip Footer,
    CaptionsScreen.-strip #demo-note { display: none; }
    CaptionsScreen #camera-box { display: none; }
    CaptionsScreen.-av #camera-box { display: block; }
    CaptionsScreen #search { display: none; margin: 0 1; }
    CaptionsScreen.-searching #search { display: block; }
    CaptionsScreen.-strip TranscriptPane { border: none; }
    CaptionsScreen.-strip TranscriptLog { scrollbar-size-vertical: 0; }
    """

    # Attributes down: the app sets these, the bars are bound to them.
    status: reactive[Status] = reactive[Status](("", "information"))
    state: reactive[str] = reactive("starting")
    elapsed: reactive[float] = reactive(0.0)
    heading: reactive[Heading] = reactive(Heading())
    figures: reactive[Figures] = reactive(Figures())

    class Says(Message):
        """Something for the status line, which is the app's (the picker shows it too)."""

        def __init__(self, text: str, severity: Severity = "information") -> None:
            super().__init__()
            self.text, self.severity = text, severity

    def __init__(
        self,
        display: Callable[[str], str] = str,
        *,
        channels: Channels = (("", None),),
        demo: bool = False,
        watch: tuple[str, ...] = (),
        strip_lines: int = 3,
        clear_after: float | None = None,
    ) -> None:
        super().__init__()
        self._display = display
        self._channels = channels
        self._demo = demo
        self._watch = watch
        self.strip = False
        self.strip_lines = strip_lines
        self.clear_after = clear_after
        """In the strip: the text goes once it has been quiet this long (None: never)."""
        self._clear_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield SessionBar().data_bind(
            CaptionsScreen.heading, CaptionsScreen.state, CaptionsScreen.elapsed
        )
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
                    yield from self._meters(self._channels)
                with Vertical(id="latency-box") as latency:
                    latency.border_title = "Latency (last minute)"
                    yield from self._latency_panes(self._channels)
                with Vertical(id="session-box") as figures:
                    figures.border_title = "This session"
                    yield SessionFigures().data_bind(CaptionsScreen.figures)
        yield Input(
            placeholder="search the transcript…  Enter: first match · Esc: done", id="search"
        )
        yield StatusLine().data_bind(CaptionsScreen.status)
        yield Footer()

    def on_mount(self) -> None:
        self._start_latency(self._channels)

    # -- what the app shows ---------------------------------------------------

    @property
    def pane(self) -> TranscriptPane:
        return self.query_one(TranscriptPane)

    def set_channels(self, channels: Channels) -> None:
        """One meter and one latency figure per channel; labelled when there are several.

        One source keeps the full-size meter (with its history); several share the
        side column, each meter and figure under its source's label.
        """
        if [m.channel for m in self.query(LevelMeter)] != [c for c, _ in channels]:
            self.query(LevelMeter).remove()
            self.query(LatencyPane).remove()
            self.query_one("#levels-box").mount_all(self._meters(channels))
            self.query_one("#latency-box").mount_all(self._latency_panes(channels))
        self._start_latency(channels)

    @staticmethod
    def _meters(channels: Channels) -> list[LevelMeter]:
        several = len(channels) > 1
        return [
            LevelMeter(history=not several, channel=c, label=c if several else "")
            for c, _ in channels
        ]

    @staticmethod
    def _latency_panes(channels: Channels) -> list[LatencyPane]:
        several = len(channels) > 1
        return [
            LatencyPane(channel=c, label=c if several else "", compact=several) for c, _ in channels
        ]

    def _start_latency(self, channels: Channels) -> None:
        for channel, stats in channels:
            if stats is not None:
                self.latency(channel).start(stats, stats.chunk_seconds)

    def meter(self, channel: str) -> LevelMeter:
        return next(m for m in self.query(LevelMeter) if m.channel == channel)

    def latency(self, channel: str) -> LatencyPane:
        return next(p for p in self.query(LatencyPane) if p.channel == channel)

    def add_final(self, segment: Segment) -> None:
        self.pane.add_final(segment)
        self._text_came()

    def show_partial(self, channel: str, text: str) -> None:
        """The channel's words not yet final (readable already: the session made them so)."""
        pane = self.pane
        if text and text != pane.partials.get(channel, ""):
            self._text_came()
        pane.set_partial(text, channel)

    def show_update(self, channel: str, update: RecognizerUpdate) -> None:
        """A chunk's levels and latency on the channel's meter and latency figure."""
        self.meter(channel).show(update.rms_dbfs, update.peak_dbfs, update.overflow)
        self.latency(channel).add(update)

    def show_face(self, face: np.ndarray | None, faces: int, frames: int) -> None:
        """An audio-visual source's window: the camera pane appears with its face crop."""
        self.add_class("-av")
        self.query_one(CameraPane).show(face, faces, frames)

    # -- what the user does --------------------------------------------------

    def action_toggle_strip(self) -> None:
        self.strip = not self.strip
        self.set_class(self.strip, "-strip")
        pane = self.pane
        pane.strip_rows = self.strip_lines if self.strip else None
        self.call_after_refresh(pane.redraw)  # wrapped again at the new width
        if self.strip:
            self._text_came()  # the quiet starts counting now
        elif self._clear_timer is not None:
            self._clear_timer.stop()

    def _text_came(self) -> None:
        """In the strip with --clear-after: the text goes once it has been quiet that long."""
        if not self.strip or self.clear_after is None:
            return
        if self._clear_timer is not None:
            self._clear_timer.stop()
        self._clear_timer = self.set_timer(self.clear_after, self.action_clear_view)

    def action_search(self) -> None:
        self.add_class("-searching")
        self.query_one("#search", Input).focus()

    @on(Input.Changed, "#search")
    def _search_changed(self, message: Input.Changed) -> None:
        if not self.has_class("-searching"):
            return  # the box emptied as the search ended: "Search ended" stays said
        count = self.pane.search(message.value)
        self.post_message(
            self.Says(f"{count} lines say {message.value!r}" if message.value else "Search.")
        )

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.set_focus(None)  # n and N now jump
        self.action_search_next(1)

    def action_search_next(self, step: int) -> None:
        pane = self.pane
        if not pane.query_text:
            return
        found = pane.jump(step)
        if found is None:
            self.post_message(self.Says(f"Nothing says {pane.query_text!r}.", "warning"))
        else:
            self.post_message(
                self.Says(f"Match {found[0]} of {found[1]} · n / N: next / previous · Esc: done")
            )

    def action_end_search(self) -> None:
        if self.has_class("-searching"):
            self.remove_class("-searching")
            self.query_one("#search", Input).value = ""
            self.pane.search("")
            self.set_focus(None)
            self.post_message(self.Says("Search ended · f: follow new text"))

    def action_clear_view(self) -> None:
        self.pane.clear_view()

    def action_toggle_follow(self) -> None:
        pane = self.pane
        pane.following = not pane.following


class ScreenSink(SessionSink):
    """The session's events on the captions screen: final lines and partials on its pane,
    each chunk's levels and latency beside it. The app calls ``accept`` on its own
    thread, so the screen's API is called here directly."""

    def __init__(self, screen: CaptionsScreen) -> None:
        self.screen = screen

    def final(self, segment: Segment) -> None:
        self.screen.add_final(segment)

    def speaker(self, segment: Segment) -> None:
        self.screen.pane.relabel(segment)

    def renamed(self, channel: str, speaker: str, name: str) -> None:
        self.screen.pane.rename(channel, speaker, name)

    def partial(self, partial: Partial) -> None:
        self.screen.show_partial(partial.channel, partial.text)

    def update(self, channel: str, event: RecognizerUpdate) -> None:
        self.screen.show_update(channel, event)

    def quiet(self, channel: str) -> None:
        self.screen.show_partial(channel, "")

    def ended(self, channel: str, event: SourceEnded) -> None:
        self.screen.show_partial(channel, "")
