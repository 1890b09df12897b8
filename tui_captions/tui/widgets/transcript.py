"""The transcript pane: timestamped final segments, the partial text below, follow mode.

Final lines go to a :class:`RichLog` (its scrollback holds the whole
session); the partial text, which changes every chunk, lives in its own line
under it. The view follows new text unless the user scrolls up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.reactive import reactive
from textual.widgets import RichLog, Static

from tui_captions.core.segments import Segment
from tui_captions.core.timefmt import elapsed
from tui_captions.core.watch import watched
from tui_captions.tui.themes import SOURCE_COLOURS

FOLLOWING = "following"
NOT_FOLLOWING = "scrolled up · f to follow"


class TranscriptLog(RichLog):
    """Reports when the user scrolls away from the end, so the pane can stop following."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "transcript-log--time",
        "transcript-log--watch",
        "transcript-log--match",
        *(f"transcript-log--source-{n}" for n in range(1, SOURCE_COLOURS + 1)),
    }

    DEFAULT_CSS = """
    TranscriptLog {
        background: $surface;
        border: none;
        height: auto;  /* grows with its lines: the partial text sits right under them */
        padding: 0 1;
        scrollbar-size-vertical: 1;
    }
    TranscriptLog > .transcript-log--time { color: $text-muted; }
    TranscriptLog > .transcript-log--watch { background: $warning 25%; text-style: bold; }
    TranscriptLog > .transcript-log--match { background: $accent; color: $background; }
    TranscriptLog > .transcript-log--source-1 { color: $source-1; text-style: bold; }
    TranscriptLog > .transcript-log--source-2 { color: $source-2; text-style: bold; }
    TranscriptLog > .transcript-log--source-3 { color: $source-3; text-style: bold; }
    TranscriptLog > .transcript-log--source-4 { color: $source-4; text-style: bold; }
    """

    def __init__(self, on_scrolled_up: Callable[[], None], *, id: str | None = None) -> None:
        super().__init__(wrap=True, min_width=1, markup=False, auto_scroll=True, id=id)
        self._on_scrolled_up = on_scrolled_up

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value < old_value and new_value < self.max_scroll_y:
            self._on_scrolled_up()


class TranscriptPane(Vertical):
    """Final segments with timestamps and the current partial text."""

    DEFAULT_CSS = """
    TranscriptPane {
        border: round $primary 60%;
        border-title-color: $text;
        border-subtitle-color: $text-muted;
        background: $surface;
        height: 1fr;
    }
    TranscriptPane.-scrolled-up {
        border-subtitle-color: $warning;
    }
    TranscriptPane > #partial {
        color: $partial-text;
        text-style: italic;
        height: auto;
        max-height: 4;
        padding: 0 1 0 8;  /* under the text column, past the timestamps */
    }
    """

    following: reactive[bool] = reactive(True)
    strip_rows: reactive[int | None] = reactive[int | None](None)
    """In the caption strip: how many rows of final text show above the partial text."""

    def __init__(
        self,
        display: Callable[[str], str] = str,
        *,
        watch: tuple[str, ...] = (),
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.watch_words = watch
        """Lines that say one of these are highlighted."""
        self.border_title = "Transcript"
        self._display = display
        self.shown: list[Segment] = []
        """Segments on screen since the last clear (the session's transcript is kept elsewhere)."""
        self.query_text = ""
        """Being searched for (lower case): its matches are highlighted."""
        self._rows: list[int] = []  # the first log row of each shown segment
        self._found: int | None = None  # the shown segment the last jump went to
        self.partials: dict[str, str] = {}
        """Each source's text that may still change ("" channel: the only source)."""
        self._colours: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield TranscriptLog(self._scrolled_up, id="finals")
        yield Static("", id="partial")

    @property
    def log_view(self) -> TranscriptLog:
        return self.query_one(TranscriptLog)

    def on_mount(self) -> None:
        self.watch_following(self.following)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.redraw())

    def add_final(self, segment: Segment) -> None:
        """Lines of several sources are shown by start time: one that ends later but began
        earlier goes above those that began after it."""
        self.shown.append(segment)
        if len(self.shown) > 1 and segment.start < self.shown[-2].start:
            self.shown.sort(key=lambda s: s.start)
            self.redraw()
        else:
            self._write(segment)

    def set_partial(self, text: str, channel: str = "") -> None:
        self.partials[channel] = text
        lines = [
            (self._label(c) + " " if c else "") + self._display(t)
            for c, t in self.partials.items()
            if t
        ]
        self.query_one("#partial", Static).update("\n".join(lines))
        self.call_after_refresh(self._fit_log)

    def on_resize(self) -> None:
        self._fit_log()

    def watch_strip_rows(self) -> None:
        self._fit_log()

    def _fit_log(self) -> None:
        """The log takes the pane's height less the partial text's (in the strip: its rows),
        and scrolls within it."""
        partial = self.query_one("#partial", Static)
        room = max(1, self.content_size.height - partial.outer_size.height)
        if self.strip_rows is not None:
            room = min(room, self.strip_rows)
        self.log_view.styles.max_height = room
        if self.following:
            self.log_view.scroll_end(animate=False)

    def search(self, text: str) -> int:
        """Highlight ``text`` (case-insensitive) in the shown lines; how many lines say it."""
        self.query_text = " ".join(text.lower().split())
        self._found = None
        self.redraw()
        return len(self.matches())

    def matches(self) -> list[int]:
        """Shown segments that say the searched text."""
        if not self.query_text:
            return []
        return [i for i, s in enumerate(self.shown) if self.query_text in s.text.lower()]

    def jump(self, step: int) -> tuple[int, int] | None:
        """Scroll to the next (``step`` 1) or previous (-1) matching line; following stops.
        Returns which match of how many, or None when nothing matches."""
        found = self.matches()
        if not found:
            return None
        if self._found is None:
            position = 0 if step > 0 else len(found) - 1
        else:
            later = [n for n, i in enumerate(found) if (i - self._found) * step > 0]
            position = later[0 if step > 0 else -1] if later else (0 if step > 0 else -1)
        self._found = found[position]
        self.following = False
        self.log_view.scroll_to(y=self._rows[self._found], animate=False)
        return position % len(found) + 1, len(found)

    def clear_view(self) -> None:
        self.shown.clear()
        self._rows.clear()
        self.log_view.clear()
        for channel in list(self.partials):
            self.set_partial("", channel)

    def redraw(self) -> None:
        """Re-render the lines, whose styles were fixed when written (after a theme change)."""
        self.log_view.clear()
        self._rows.clear()
        for segment in self.shown:
            self._write(segment)

    def _write(self, segment: Segment) -> None:
        time_style = self.log_view.get_component_rich_style("transcript-log--time")
        line = Table.grid(padding=(0, 2))
        line.add_column(no_wrap=True)
        line.add_column(ratio=1)
        text = Text(self._display(segment.text))
        if watched(segment.text, self.watch_words):
            text.stylize(self.log_view.get_component_rich_style("transcript-log--watch"))
        if self.query_text:
            match = self.log_view.get_component_rich_style("transcript-log--match")
            text.highlight_words([self.query_text], match, case_sensitive=False)
        self._rows.append(len(self.log_view.lines))
        if segment.channel:
            style = self.log_view.get_component_rich_style(self._colour_class(segment.channel))
            text = Text.assemble((self._label(segment.channel), style), " ", text)
        line.add_row(Text(elapsed(segment.start), time_style), text)
        self.log_view.write(line, expand=True)

    def _colour_class(self, channel: str) -> str:
        number = self._colours.setdefault(channel, len(self._colours) % SOURCE_COLOURS + 1)
        return f"transcript-log--source-{number}"

    @staticmethod
    def _label(channel: str) -> str:
        return f"{channel}:"

    def _scrolled_up(self) -> None:
        self.following = False

    def watch_following(self, following: bool) -> None:
        self.set_class(not following, "-scrolled-up")
        self.border_subtitle = FOLLOWING if following else NOT_FOLLOWING
        log = self.log_view if self.is_mounted else None
        if log is not None:
            log.auto_scroll = following
            if following:
                log.scroll_end(animate=False)
