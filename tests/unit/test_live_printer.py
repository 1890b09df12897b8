"""``live``'s printer as one of the session's sinks: it prints what the page is sent."""

from __future__ import annotations

import argparse
import io
import json
import queue
from pathlib import Path

import pytest

from tests.unit.test_pipeline_session import FakeEngine, update
from tests.unit.test_session_sinks import CountedPartials, Published
from tui_captions.commands.live import _Printer
from tui_captions.core.events import LiveEvent, SourceEnded
from tui_captions.core.segments import Segment
from tui_captions.pipeline.session import CaptionSession
from tui_captions.transcript.formats import open_writer
from tui_captions.web.publish import WebSink


def options(raw: bool = False) -> argparse.Namespace:
    return argparse.Namespace(raw=raw, format="jsonl", partials=True, stats_every=None)


def followed(session: CaptionSession, printer: _Printer, events: list[LiveEvent]) -> list[str]:
    """The printer fed ``events`` of the one channel; returns why sources failed."""
    waiting: queue.Queue[tuple[str, LiveEvent]] = queue.Queue()
    for event in events:
        waiting.put(("", event))
    return printer.follow(waiting)


@pytest.mark.parametrize("raw", [False, True])
def test_live_prints_the_lines_and_partials_the_page_is_sent(tmp_path: Path, raw: bool) -> None:
    session = CaptionSession("demo-tiny", directory=tmp_path, post=CountedPartials())
    session.add_channel("", "talk.wav", FakeEngine(), 0.16)
    out, page = io.StringIO(), Published()
    printer = _Printer(options(raw), open_writer("jsonl", out, raw=raw), out, session)
    session.subscribe(printer)
    session.subscribe(WebSink(page, raw))
    line = Segment(0, 0.0, 1.0, "we begin")
    events: list[LiveEvent] = [
        update((), partial="we"),
        update((line,), partial="now"),
        SourceEnded("end", (), 0),
    ]
    assert followed(session, printer, events) == []
    printed = [json.loads(text) for text in out.getvalue().splitlines()]
    assert printed == page.events
    assert [event["text"] for event in printed] == (
        ["we", "we begin", "now"] if raw else ["<we>", "We begin.", "<now>"]
    )


class Closed(io.StringIO):
    """Standard output whose reader went away (`live ... | head -1`)."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_a_reader_that_goes_away_ends_live_after_the_page_has_the_line(tmp_path: Path) -> None:
    session = CaptionSession("demo-tiny", directory=tmp_path)
    session.add_channel("", "talk.wav", FakeEngine(), 0.16)
    out, page = Closed(), Published()
    printer = _Printer(options(), open_writer("jsonl", out), out, session)
    session.subscribe(printer)
    session.subscribe(WebSink(page))
    with pytest.raises(BrokenPipeError):
        followed(session, printer, [update((Segment(0, 0.0, 1.0, "the last"),))])
    assert [event["text"] for event in page.events] == ["The last"]
    journal = session.close()
    assert journal is not None and journal.saved_lines() == (1, 1)
