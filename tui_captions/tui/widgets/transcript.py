"""The transcript pane: timestamped final segments, the partial text below, follow mode.

Final lines go to a :class:`TranscriptLog`, which draws only the rows on
screen (it holds the whole session's segments, not their rendering); the
partial text, which changes every chunk, lives in its own line under it. The
view follows new text unless the user scrolls up.
"""

from __future__ import annotations

import bisect
import dataclasses
import itertools
from collections.abc import Callable
from typing import ClassVar

from rich.segment import Segment as RichSegment
from rich.text import Text
from textual.app import ComposeResult
from textual.cache import LRUCache
from textual.containers import Vertical
from textual.geometry import Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Static

from tui_captions.core.segments import Segment
from tui_captions.core.timefmt import elapsed
from tui_captions.core.watch import watched
from tui_captions.transcript.formats import voice
from tui_captions.tui.themes import SOURCE_COLOURS

FOLLOWING = "following"
NOT_FOLLOWING = "scrolled up · f to follow"


class TranscriptLog(ScrollView):
    """The session's final lines, drawn on demand: the cost of a line stays flat.

    Each segment's rows are rendered when first shown (time, then its text
    wrapped beside it) and kept in a bounded cache; the log itself keeps the
    segments, in start-time order, and how many rows each takes at the
    current width. A line that began before others is inserted where it
    belongs; only what is on screen is drawn again, never the session. A
    search, a theme change or a new width drops the cached rows (a new width
    also measures every line again, once).
    """

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
        overflow-x: hidden;
        overflow-y: scroll;  /* a fixed width: a scrollbar appearing would re-wrap every line */
    }
    TranscriptLog > .transcript-log--time { color: $text-muted; }
    TranscriptLog > .transcript-log--watch { background: $warning 25%; text-style: bold; }
    TranscriptLog > .transcript-log--match { background: $accent; color: $background; }
    TranscriptLog > .transcript-log--source-1 { color: $source-1; text-style: bold; }
    TranscriptLog > .transcript-log--source-2 { color: $source-2; text-style: bold; }
    TranscriptLog > .transcript-log--source-3 { color: $source-3; text-style: bold; }
    TranscriptLog > .transcript-log--source-4 { color: $source-4; text-style: bold; }
    """

    CACHED_SEGMENTS = 64
    """Segments whose rows are kept rendered (at least twice what the screen shows); others
    are rendered again when shown. Rendered rows are heavy (each Textual strip carries its
    own caches) and every full garbage collection walks them, so few are kept."""

    def __init__(
        self,
        on_scrolled_up: Callable[[], None],
        *,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self._on_scrolled_up = on_scrolled_up
        self.auto_scroll = True
        self.segments: list[Segment] = []
        """Shown since the last clear, in start-time order."""
        self._starts: list[float] = []
        self._heights: list[int] = []  # rows of each segment at self._width
        self._tops: list[int] | None = [0]  # first row of each segment (None: to compute)
        self._width = 0
        self._rows: LRUCache[tuple[Segment, int], list[Strip]] = LRUCache(self.CACHED_SEGMENTS)
        self.watch_words: tuple[str, ...] = ()
        self.query_text = ""
        self._colours: dict[str, int] = {}
        self.speaker_names: dict[tuple[str, str], str] = {}
        """(channel, speaker) -> the name the user gave that speaker for the session."""

    # -- content --------------------------------------------------------------------------

    def add(self, segment: Segment) -> int:
        """Show ``segment`` where its start time puts it; returns its index."""
        index = bisect.bisect_right(self._starts, segment.start)
        height = len(self._rendered(segment)) if self._width else 1
        self.segments.insert(index, segment)
        self._starts.insert(index, segment.start)
        self._heights.insert(index, height)
        if index == len(self.segments) - 1 and self._tops is not None:
            self._tops.append(self._tops[-1] + height)  # the usual case: no sum of all rows
        else:
            self._tops = None
        settled = self._resize_virtual()
        if index < len(self.segments) - 1:
            self.refresh()  # the lines under it moved down (only the screen is drawn)
        # With no layout to wait for, scroll now: the line shows in this frame, not the next.
        self.follow(now=settled)
        return index

    def follow(self, *, now: bool = False) -> None:
        """While following, scroll to the newest row, now or once the layout has settled.
        A deferred scroll asks again when it runs: the user may have scrolled up in
        between, and a late scroll must not pull them back down."""
        if not self.auto_scroll:
            return
        if now:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        else:
            self.call_after_refresh(self.follow, now=True)

    def clear(self) -> None:
        self.segments.clear()
        self._starts.clear()
        self._heights.clear()
        self._tops = [0]
        self._rows.clear()
        self._resize_virtual()
        self.refresh()

    def restyle(self) -> None:
        """Draw the shown rows again (a search, a theme); their heights do not change."""
        self._rows.clear()
        self.refresh()

    def row_of(self, index: int) -> int:
        """The first row of segment ``index``."""
        return self._row_tops()[index]

    # -- layout and drawing ------------------------------------------------------------------

    def on_resize(self) -> None:
        width = self.scrollable_content_region.width
        if width and width != self._width:
            self._width = width
            self._rows.clear()
            self._heights = [len(self._rendered(s)) for s in self.segments]
            self._tops = None
            self._resize_virtual()
            self.follow()

    def _resize_virtual(self) -> bool:
        """Set the rows' height; whether that was done without a layout of the screen."""
        size = Size(self._width, self._row_tops()[-1])
        grown = size.height >= self.virtual_size.height
        if grown and self.virtual_size.height > self.container_size.height:
            # Already taller than the room it has: its height on screen stays, so no
            # layout of the screen is needed, only its scrollbar (a layout would
            # render every widget again, on every line).
            self.set_reactive(TranscriptLog.virtual_size, size)
            self._scroll_update(size)
            self.refresh()
            return True
        self.virtual_size = size
        return False

    def _row_tops(self) -> list[int]:
        if self._tops is None:
            self._tops = [0, *itertools.accumulate(self._heights)]
        return self._tops

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.scrollable_content_region.width
        tops = self._row_tops()
        index = bisect.bisect_right(tops, row) - 1
        if row >= tops[-1] or index >= len(self.segments) or not self._width:
            return Strip.blank(width, self.rich_style)
        rows = self._rendered(self.segments[index])
        offset = row - tops[index]
        line = rows[offset] if offset < len(rows) else Strip.blank(self._width)
        return line.crop_extend(scroll_x, scroll_x + width, self.rich_style).apply_style(
            self.rich_style
        )

    def _rendered(self, segment: Segment) -> list[Strip]:
        """The segment's rows at the current width: its time, then its wrapped text."""
        key = (segment, self._width)
        cached = self._rows.get(key)
        if cached is not None:
            return cached
        time_text = elapsed(segment.start)
        lead = len(time_text) + 2
        console = self.app.console
        options = console.options.update_width(max(1, self._width - lead))
        lines = console.render_lines(self._text(segment), options, pad=True)
        time_style = self.get_component_rich_style("transcript-log--time")
        rows = [
            Strip(
                [RichSegment(time_text, time_style), RichSegment("  ")]
                if number == 0
                else [RichSegment(" " * lead)]
            ).extend_cell_length(lead)
            for number in range(len(lines))
        ]
        rows = [Strip.join([head, Strip(line)]) for head, line in zip(rows, lines, strict=True)]
        # Two screens' rows at least, as the screen is now (a resize, too, is seen here
        # first): fewer would draw every line of the screen again on every frame.
        self._rows.grow(2 * self.size.height)
        self._rows[key] = rows
        return rows

    def _text(self, segment: Segment) -> Text:
        text = Text(segment.shown())
        if watched(segment.text, self.watch_words):
            text.stylize(self.get_component_rich_style("transcript-log--watch"))
        if self.query_text:
            match = self.get_component_rich_style("transcript-log--match")
            text.highlight_words([self.query_text], match, case_sensitive=False)
        named = self.speaker_names.get((segment.channel, segment.speaker), segment.speaker)
        if who := voice(dataclasses.replace(segment, speaker=named)):  # source, speaker, both
            style = self.get_component_rich_style(self._colour_class(who))
            text = Text.assemble((f"{who}:", style), " ", text)
        return text

    def rename(self, channel: str, speaker: str, name: str) -> None:
        """The channel's ``speaker`` goes by ``name``: every line of it drawn again."""
        self.speaker_names[channel, speaker] = name
        self._rows.clear()
        self._heights = [len(self._rendered(s)) if self._width else 1 for s in self.segments]
        self._tops = None
        self._resize_virtual()
        self.refresh()

    def relabel(self, segment: Segment) -> None:
        """The shown line ``segment.id`` of its channel has a new speaker: drawn again
        (looked for from the newest: a label comes seconds after its line)."""
        for index in range(len(self.segments) - 1, -1, -1):
            shown = self.segments[index]
            if shown.id == segment.id and shown.channel == segment.channel:
                self.segments[index] = dataclasses.replace(shown, speaker=segment.speaker)
                self._heights[index] = (
                    len(self._rendered(self.segments[index])) if self._width else 1
                )
                self._tops = None
                self._resize_virtual()
                self.refresh()
                return

    def _colour_class(self, who: str) -> str:
        """Each source, and each speaker of a source, its own colour (four, in turn)."""
        number = self._colours.setdefault(who, len(self._colours) % SOURCE_COLOURS + 1)
        return f"transcript-log--source-{number}"

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._rows.clear()

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
        self._watch = watch
        self.border_title = "Transcript"
        self._display = display
        self._found: Segment | None = None  # the segment the last jump went to
        self.partials: dict[str, str] = {}
        """Each source's text that may still change ("" channel: the only source)."""

    def compose(self) -> ComposeResult:
        log = TranscriptLog(self._scrolled_up, id="finals")
        log.watch_words = self._watch
        yield log
        yield Static("", id="partial")

    @property
    def shown(self) -> list[Segment]:
        """Segments on screen since the last clear (the session's transcript is kept elsewhere)."""
        return self.log_view.segments

    @property
    def query_text(self) -> str:
        """Being searched for (lower case): its matches are highlighted."""
        return self.log_view.query_text

    @property
    def log_view(self) -> TranscriptLog:
        return self.query_one(TranscriptLog)

    def on_mount(self) -> None:
        self.watch_following(self.following)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.redraw())

    def relabel(self, segment: Segment) -> None:
        """A shown line's speaker came or changed (speaker labels)."""
        self.log_view.relabel(segment)

    def rename(self, channel: str, speaker: str, name: str) -> None:
        """The user named a speaker for the session."""
        self.log_view.rename(channel, speaker, name)

    def add_final(self, segment: Segment) -> None:
        """Lines of several sources are shown by start time: one that ends later but began
        earlier goes above those that began after it (inserted there, nothing redrawn)."""
        self.log_view.add(segment)

    def set_partial(self, text: str, channel: str = "") -> None:
        if self.partials.get(channel) == text:
            return  # most chunks change nothing: no layout for them
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

    def watch_strip_rows(self, rows: int | None) -> None:
        """The strip shows the newest lines: it follows, whatever a search scrolled to (it
        has no border to say it is scrolled up)."""
        if rows is not None:
            self.following = True
        self._fit_log()

    def _fit_log(self) -> None:
        """The log takes the pane's height less the partial text's (in the strip: its rows),
        and scrolls within it."""
        partial = self.query_one("#partial", Static)
        room = max(1, self.content_size.height - partial.outer_size.height)
        if self.strip_rows is not None:
            room = min(room, self.strip_rows)
        self.log_view.styles.max_height = room
        self.log_view.follow()

    def search(self, text: str) -> int:
        """Highlight ``text`` (case-insensitive) in the shown lines; how many lines say it.
        Matches are found in the segments; only the rows on screen are drawn again."""
        self.log_view.query_text = " ".join(text.lower().split())
        self._found = None
        self.log_view.restyle()
        if not text and self.strip_rows is not None:
            self.following = True  # a search in the strip ended: back to the newest lines
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
        # Where the last jump went, even if lines were inserted above it since.
        last = self.shown.index(self._found) if self._found in self.shown else None
        if last is None:
            position = 0 if step > 0 else len(found) - 1
        else:
            later = [n for n, i in enumerate(found) if (i - last) * step > 0]
            position = later[0 if step > 0 else -1] if later else (0 if step > 0 else -1)
        self._found = self.shown[found[position]]
        self.following = False
        self.log_view.scroll_to(y=self.log_view.row_of(found[position]), animate=False)
        return position % len(found) + 1, len(found)

    def clear_view(self) -> None:
        self.log_view.clear()
        for channel in list(self.partials):
            self.set_partial("", channel)

    def redraw(self) -> None:
        """Draw the shown lines again (after a theme change: their styles)."""
        self.log_view.restyle()

    def _label(self, channel: str) -> str:
        return f"{channel}:"

    def _scrolled_up(self) -> None:
        self.following = False

    def watch_following(self, following: bool) -> None:
        self.set_class(not following, "-scrolled-up")
        self.border_subtitle = FOLLOWING if following else NOT_FOLLOWING
        log = self.log_view if self.is_mounted else None
        if log is not None:
            log.auto_scroll = following
            log.follow()
