"""The app on the session's fan-out: its web page is the session's one ``WebSink``, and its
pane, its watch-word notices and the page show the text the session's text step made."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest

from tests.snapshots.fixed_app import fixed_app, update
from tui_captions.core.events import SourceStarted
from tui_captions.core.segments import Segment
from tui_captions.text.postprocess import TextContext
from tui_captions.transcript.formats import final_event, partial_event
from tui_captions.tui.messages import EngineEvent
from tui_captions.tui.widgets.transcript import TranscriptPane
from tui_captions.web.publish import WebSink
from tui_captions.web.server import Event


class Marked:
    """A text step whose output cannot be mistaken for sentence case."""

    name = "marked"

    def final(self, text: str, before: TextContext) -> str:
        return f"{text.capitalize()}!"

    def partial(self, text: str) -> str:
        return f"<{text}>"


def test_the_pane_the_notice_and_the_page_show_the_sessions_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = fixed_app(tmp_path, "captions-dark", with_source=True, watch="fox")
    app.options = dataclasses.replace(app.options, serve="127.0.0.1:0")
    published: list[Event] = []
    line = Segment(0, 0.0, 3.0, "the quick brown fox")

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()  # the loaded model's message, which adds the session's channel
            [sink] = [s for s in app.session.sinks if isinstance(s, WebSink)]
            assert app.server is not None and sink.server is app.server
            monkeypatch.setattr(app.server, "publish", published.append)
            app.session.post = Marked()
            generation = app.generation[""]
            app.post_message(EngineEvent(SourceStarted("talk.wav", "wav", 16000, 1, 5), generation))
            app.post_message(EngineEvent(update(1, "the quick", (), -20, 50), generation))
            await pilot.pause()
            assert app.screen.query_one(TranscriptPane).partials[""] == "<the quick>"
            app.post_message(EngineEvent(update(2, "", (line,), -20, 50), generation))
            await pilot.pause()
            notices = [n.message for n in app._notifications if n.title == "Said: fox"]
            assert [notice.split("  ", 1)[1] for notice in notices] == ["The quick brown fox!"]

    asyncio.run(flow())
    assert app.server is not None
    app.server.stop()  # the app stops it when it quits; the test did not quit it
    shown = dataclasses.replace(line, channel="", display="The quick brown fox!")
    assert published == [
        partial_event("", 1, "<the quick>"),
        final_event(shown),
        partial_event("", 2, "<>"),
    ]
