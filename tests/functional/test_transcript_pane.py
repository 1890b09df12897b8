"""The transcript pane's cost stays flat: a late line is inserted in place, a search draws only the
screen, and nothing else of a long session is rendered again (the benchmark is bench.transcript)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

import pytest

from tests.snapshots.fixed_app import fixed_app, update
from tui_captions.core.segments import Segment
from tui_captions.tui.app import CaptionsApp
from tui_captions.tui.messages import EngineEvent
from tui_captions.tui.widgets.transcript import TranscriptLog, TranscriptPane

LINES = 200


# Each source says other words: the echo guard drops a microphone line that repeats
# what system audio said.
SAYS = {
    "You": "i asked about item {} on my list",
    "Them": "they answered point {} in full",
    "": "line {} said",
}


def line(index: int, start: float, channel: str) -> Segment:
    return Segment(index, start, start + 1.0, SAYS[channel].format(index), channel)


async def post(app: CaptionsApp, segment: Segment) -> None:
    event = update(segment.id + 1, "", (segment,), -20.0, 50.0)
    app.post_message(EngineEvent(event, app.generation[segment.channel], segment.channel))


def screen_rows(log: TranscriptLog) -> list[str]:
    return [log.render_line(y).text for y in range(log.size.height)]


def test_a_late_line_lands_in_place_and_only_it_is_rendered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True, meeting=True)
        async with app.run_test(size=(120, 40)) as pilot:
            while app.captions is None or set(app.generation) != {"You", "Them"}:
                await pilot.pause()
            for index in range(LINES):
                await post(app, line(index, 10.0 + 2.0 * index, ("You", "Them")[index % 2]))
            await pilot.pause()
            pane = app.screen.query_one(TranscriptPane)
            log = pane.log_view
            assert [s.id for s in pane.shown] == list(range(LINES))
            assert log.virtual_size.height == sum(log._heights)  # rows counted as lines came
            rendered: list[Segment] = []
            text_of = TranscriptLog._text

            def spy(self: TranscriptLog, segment: Segment) -> object:
                rendered.append(segment)
                return text_of(self, segment)

            monkeypatch.setattr(TranscriptLog, "_text", spy)
            # Began before the last four lines (it ended later): it goes above them.
            late = line(LINES, 10.0 + 2.0 * (LINES - 4) - 0.5, "You")
            await post(app, late)
            await pilot.pause()
            ids = [s.id for s in pane.shown]
            assert ids == [*range(LINES - 4), LINES, *range(LINES - 4, LINES)]
            assert [s.id for s in rendered] == [late.id]  # the others were drawn before
            rows = screen_rows(log)
            assert any("item 200 on my list" in row for row in rows)
            assert rows.index(next(r for r in rows if "item 200 " in r)) < rows.index(
                next(r for r in rows if "item 196 " in r)
            )
            # A search draws the rows on screen again, not the session's.
            rendered.clear()
            assert pane.search("in full") == LINES // 2
            await pilot.pause()
            assert 0 < len(rendered) <= log.size.height
            # Jumping to the first match (far above) draws what is then on screen.
            rendered.clear()
            pane.jump(1)
            await pilot.pause()
            assert log.scroll_y == log.row_of(1) and 0 < len(rendered) <= log.size.height
            assert any("point 1 in full" in row for row in screen_rows(log))
            await pilot.press("q")

    asyncio.run(flow())


def test_rendered_rows_are_capped_and_lines_scrolled_back_to_are_drawn_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the pane holds grows by the lines' text: drawn rows are cached for a bounded
    number of lines (at least a screen's); scrolling back to the first line draws it again."""
    # Fewer than the screen shows: the cache must grow to the screen's height.
    monkeypatch.setattr(TranscriptLog, "CACHED_SEGMENTS", 8)

    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            while app.captions is None or not app.generation:
                await pilot.pause()
            count = TranscriptLog.CACHED_SEGMENTS + 100
            finals = tuple(line(index, 10.0 + index, "") for index in range(count))
            app.post_message(EngineEvent(update(1, "", finals, -20.0, 50.0), app.generation[""]))
            await pilot.pause()
            log = app.screen.query_one(TranscriptPane).log_view
            assert len(log.segments) == count
            # Bounded, and never fewer than a screen of lines (that would render every frame).
            assert log.size.height <= log._rows.maxsize < count
            assert len(log._rows) <= log._rows.maxsize
            log.scroll_home(animate=False)
            await pilot.pause()
            assert (
                screen_rows(log)[0].lstrip().startswith("00:10")
                and "Line 0 said" in screen_rows(log)[0]
            )
            await pilot.press("q")

    asyncio.run(flow())


def test_a_session_keeps_startup_out_of_full_collections(tmp_path: Path) -> None:
    """Once the model is loaded, what exists is frozen (full collections walked it every few
    lines: ~100 ms pauses by line 5,000); when the app is gone it is collectable again."""

    async def flow() -> None:
        app = fixed_app(tmp_path, "captions-dark", with_source=True)
        async with app.run_test(size=(100, 30)) as pilot:
            while app.model is None:
                await pilot.pause()
            assert gc.get_freeze_count() > 10_000  # modules, Textual, the app
            await pilot.press("q")

    asyncio.run(flow())
    assert gc.get_freeze_count() == 0
