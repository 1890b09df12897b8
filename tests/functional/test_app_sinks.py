"""The app on the session's fan-out: its web page is the session's one ``WebSink``, its
captions screen and the app itself are sinks beside the journal, and its pane, its
watch-word notices and the page show the text the session's text step made."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import numpy as np
import pytest

from tests.snapshots.fixed_app import fixed_app, update
from tui_captions.core.events import SourceEnded, SourceStarted
from tui_captions.core.segments import Segment
from tui_captions.text.postprocess import TextContext
from tui_captions.transcript.formats import final_event, partial_event
from tui_captions.transcript.journal import JournalSink
from tui_captions.tui.app import AppSink
from tui_captions.tui.messages import EngineEvent
from tui_captions.tui.screens.captions import ScreenSink
from tui_captions.tui.widgets.camera import CameraPane
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


def test_the_pane_shows_what_its_sink_is_handed_once_and_the_journal_keeps_it_first(
    tmp_path: Path,
) -> None:
    """Each sink subscribed once, the journal first; the pane learns of lines from its sink
    alone: unsubscribed, it shows no more, while the journal still keeps every line."""
    app = fixed_app(tmp_path, "captions-dark", with_source=True)
    first, second = Segment(0, 0.0, 1.0, "first line"), Segment(1, 1.0, 2.0, "second line")

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()  # the loaded model's message, which adds the session's channel
            generation = app.generation[""]
            app.post_message(EngineEvent(update(1, "first", (), -20, 50), generation))
            app.post_message(EngineEvent(update(2, "", (first,), -20, 50), generation))
            await pilot.pause()
            sinks = app.session.sinks
            assert [type(sink) for sink in sinks] == [JournalSink, AppSink, ScreenSink]
            [screen_sink] = sinks[2:]
            assert isinstance(screen_sink, ScreenSink) and screen_sink.screen is app.screen
            pane = app.screen.query_one(TranscriptPane)
            assert [s.display for s in pane.shown] == ["First line"]
            assert pane.partials == {"": ""}
            assert (app.words_said, app.figures.lines) == (2, 1)
            sinks.remove(screen_sink)
            app.post_message(EngineEvent(update(3, "", (second,), -20, 50), generation))
            await pilot.pause()
            assert [s.display for s in pane.shown] == ["First line"]
            assert (app.words_said, app.figures.lines) == (4, 2)
            journaled = app.session.journal.session().segments
            assert [s.text for s in journaled] == ["first line", "second line"]

    asyncio.run(flow())


def test_a_replaced_sources_last_words_take_the_place_of_its_partial_on_the_pane(
    tmp_path: Path,
) -> None:
    """The source restarts (a new generation): the old one's end comes late, its partial
    words as a final line; the pane shows them once, as that line."""
    app = fixed_app(tmp_path, "captions-dark", with_source=True)
    last = Segment(0, 0.0, 1.0, "my last words")

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            old = app.generation[""]
            app.post_message(EngineEvent(update(1, "my last words", (), -20, 50), old))
            await pilot.pause()
            pane = app.screen.query_one(TranscriptPane)
            assert pane.partials[""] == "My last words"
            app.start_source("", app.sources[""])  # as r or a retry does: a new generation
            app.post_message(EngineEvent(SourceEnded("stopped", (last,), 0), old))
            await pilot.pause()
            assert [s.display for s in pane.shown] == ["My last words"]
            assert pane.partials[""] == ""

    asyncio.run(flow())


def test_an_audio_visual_sources_faces_reach_the_camera_pane_and_the_status_line(
    tmp_path: Path,
) -> None:
    """The app's own sink: a window without a face is a warning, then a face is said."""
    app = fixed_app(tmp_path, "captions-dark", with_source=True, video=True)
    crop = np.full((44, 44), 128, dtype=np.uint8)

    async def flow() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            generation = app.generation[""]
            blind = dataclasses.replace(update(1, "", (), -20, 50), faces=0)
            app.post_message(EngineEvent(blind, generation))
            await pilot.pause()
            camera = app.screen.query_one(CameraPane)
            assert app.model is not None and camera.frames == app.model.format.frames_per_chunk
            assert app.screen.has_class("-av") and camera.faces == 0
            assert app.status_text == (
                "no face in view yet: captions from the audio alone",
                "warning",
            )
            seen = dataclasses.replace(update(2, "", (), -20, 50), faces=6, face=crop)
            app.post_message(EngineEvent(seen, generation))
            await pilot.pause()
            assert camera.faces == 6 and app.seen_face
            assert app.status_text[0] == "A face is in view: the model reads the lips too."

    asyncio.run(flow())
