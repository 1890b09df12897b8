"""The session's fan-out: each event handled once, then handed to every sink in order."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.unit.test_pipeline_session import FakeEngine, update
from tui_captions.core.events import RecognizerUpdate, SourceEnded, SourceQuiet, SourceStarted
from tui_captions.core.segments import Segment
from tui_captions.core.sinks import Partial, SessionSink
from tui_captions.pipeline.session import CaptionSession
from tui_captions.text.postprocess import TextContext
from tui_captions.transcript.formats import final_event
from tui_captions.transcript.journal import JournalSink, read_journal
from tui_captions.web.publish import WebSink
from tui_captions.web.server import Event


class Seen(SessionSink):
    """Writes down what it is handed, and for a final line whether the journal had it."""

    def __init__(self, session: CaptionSession) -> None:
        self.session = session
        self.seen: list[str] = []

    def started(self, channel: str, event: SourceStarted) -> None:
        self.seen.append(f"started {channel} {event.label}")

    def update(self, channel: str, event: RecognizerUpdate) -> None:
        self.seen.append(f"update {channel} {event.seq}")

    def final(self, segment: Segment) -> None:
        journal = self.session.journal_if_open
        assert journal is not None
        saved = [s.text for s in read_journal(journal.path).segments]
        self.seen.append(
            f"final {segment.channel} {segment.display} journaled={segment.text in saved}"
        )

    def partial(self, partial: Partial) -> None:
        self.seen.append(
            f"partial {partial.channel} {partial.seq} {partial.words!r}->{partial.text!r}"
        )

    def quiet(self, channel: str) -> None:
        self.seen.append(f"quiet {channel}")

    def ended(self, channel: str, event: SourceEnded) -> None:
        self.seen.append(f"ended {channel} {event.reason}")

    def echo(self, segment: Segment) -> None:
        self.seen.append(f"echo {segment.channel} {segment.text}")


class Broken(SessionSink):
    """A sink with a bug: every final line and partial raises."""

    def final(self, segment: Segment) -> None:
        raise RuntimeError("final went wrong")

    def partial(self, partial: Partial) -> None:
        raise RuntimeError("partial went wrong")


class CountedPartials:
    """A text step that counts its partial calls and marks what it made."""

    name = "counted"

    def __init__(self) -> None:
        self.partials = 0

    def final(self, text: str, before: TextContext) -> str:
        return text.capitalize() + "."

    def partial(self, text: str) -> str:
        self.partials += 1
        return f"<{text}>"


def meeting(tmp_path: Path, post: CountedPartials | None = None) -> CaptionSession:
    session = CaptionSession("demo-tiny", directory=tmp_path, post=post)
    session.add_channel("You", "You", FakeEngine(), 0.16)
    session.add_channel("Them", "Them", FakeEngine(), 0.16)
    return session


def test_every_sink_gets_each_event_once_in_order_and_each_line_after_the_journal(
    tmp_path: Path,
) -> None:
    session = meeting(tmp_path)
    first, second = Seen(session), Seen(session)
    session.subscribe(first)
    session.subscribe(second)
    session.accept("You", SourceStarted("mic", "mic", 16000, 1, 5.0))
    session.accept("You", update((), partial="so we"))
    session.accept("You", update((), partial="so we"))  # unchanged: not handed on again
    session.accept("You", update((Segment(0, 0.0, 1.0, "so we begin"),), partial="with"))
    session.accept("Them", SourceQuiet((Segment(0, 0.5, 1.5, "hello all"),)))
    session.accept("You", SourceEnded("end", (Segment(1, 2.0, 3.0, "with the plan"),), 0))
    assert first.seen == [
        "started You mic",
        "update You 0",
        "partial You 0 'so we'->'So we'",
        "update You 0",
        "final You So we begin journaled=True",
        "update You 0",
        "partial You 0 'with'->'With'",
        "final Them Hello all journaled=True",
        "quiet Them",
        "final You With the plan journaled=True",
        "ended You end",
    ]
    assert second.seen == first.seen


def test_a_sink_that_fails_is_logged_and_the_others_still_get_the_event(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    session = meeting(tmp_path)
    seen = Seen(session)
    session.subscribe(Broken())
    session.subscribe(seen)
    with caplog.at_level(logging.ERROR, logger="tui_captions.pipeline.session"):
        shown = session.accept("You", update((Segment(0, 0.0, 1.0, "still here"),), partial="on"))
    assert [s.text for s in shown] == ["still here"]
    assert seen.seen == [
        "final You Still here journaled=True",
        "update You 0",
        "partial You 0 'on'->'On'",
    ]
    failures = [r for r in caplog.records if r.exc_info is not None]
    assert [str(r.exc_info[1]) for r in failures if r.exc_info] == [
        "final went wrong",
        "partial went wrong",
    ]
    assert all("Broken failed" in r.getMessage() for r in failures)


def test_a_partial_is_made_readable_once_and_every_sink_gets_that_text(tmp_path: Path) -> None:
    post = CountedPartials()
    session = meeting(tmp_path, post)
    sinks = [Seen(session), Seen(session), Seen(session)]
    for sink in sinks:
        session.subscribe(sink)
    session.accept("Them", update((), partial="hello"))
    assert post.partials == 1
    assert {tuple(sink.seen) for sink in sinks} == {
        ("update Them 0", "partial Them 0 'hello'->'<hello>'")
    }
    session.accept("Them", SourceQuiet(()))
    session.accept("Them", update((), partial="hello"))  # said again: new text after the quiet
    assert post.partials == 2
    assert sinks[0].seen[-1] == "partial Them 0 'hello'->'<hello>'"


def test_a_replaced_sources_late_event_hands_on_its_lines_only(tmp_path: Path) -> None:
    """The app restarts a source: the old one's last words are kept, its partial is not shown."""
    session = meeting(tmp_path)
    seen = Seen(session)
    session.subscribe(seen)
    late = update((Segment(0, 0.0, 1.0, "last words"),), partial="stale")
    session.accept("You", late, current=False)
    session.accept("You", SourceEnded("stopped", (), 0), current=False)
    assert seen.seen == ["final You Last words journaled=True"]
    session.accept("You", update((), partial="stale"))  # the new source's: never shown yet
    assert seen.seen[-1] == "partial You 0 'stale'->'Stale'"


def test_a_replaced_sources_end_empties_the_partial_the_sinks_were_shown(
    tmp_path: Path,
) -> None:
    """Its words are final now (handed on as a line): a pane must not show them twice."""
    session = meeting(tmp_path)
    seen = Seen(session)
    session.subscribe(seen)
    session.accept("You", update((), partial="so we"))
    session.accept("You", SourceEnded("stopped", (Segment(0, 0.0, 1.0, "so we"),), 0), False)
    assert seen.seen[-2:] == ["final You So we journaled=True", "partial You 0 ''->''"]


def test_the_journal_is_the_first_sink_and_keeps_each_line_once_echoes_marked(
    tmp_path: Path,
) -> None:
    """Subscribed when it opens, before the sinks that came earlier; a line that raises in
    another sink is on disk all the same."""
    session = CaptionSession("demo-tiny", directory=tmp_path)
    session.add_channel("You", "You", FakeEngine(), 0.16, "microphone")
    session.add_channel("Them", "Them", FakeEngine(), 0.16, "system")
    broken, seen = Broken(), Seen(session)
    session.subscribe(broken)
    session.subscribe(seen)
    session.accept("Them", update((Segment(0, 2.0, 3.0, "the call"),)))
    session.accept("You", update((Segment(0, 2.1, 3.1, "the call"),)))  # its echo
    session.accept("You", SourceEnded("end", (Segment(1, 5.0, 6.0, "my words"),), 0))
    [journal_sink] = [sink for sink in session.sinks if isinstance(sink, JournalSink)]
    assert session.sinks == [journal_sink, broken, seen]
    assert [line for line in seen.seen if not line.startswith(("update", "ended"))] == [
        "final Them The call journaled=True",
        "echo You the call",
        "final You My words journaled=True",
    ]
    journal = session.close()
    assert journal is journal_sink.journal
    saved = read_journal(journal.path).segments
    assert [(s.id, s.channel, s.text, s.echo) for s in saved] == [
        (0, "Them", "the call", False),
        (1, "You", "the call", True),
        (2, "You", "my words", False),
    ]


class Published:
    """Stands in for the caption server: what it was asked to publish."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def publish(self, event: Event) -> None:
        self.events.append(event)


@pytest.mark.parametrize("raw", [False, True])
def test_the_web_sink_publishes_each_line_and_partial_as_the_page_reads_them(
    tmp_path: Path, raw: bool
) -> None:
    session = meeting(tmp_path, CountedPartials())
    server = Published()
    session.subscribe(WebSink(server, raw))
    [line] = session.accept("You", update((Segment(0, 0.0, 1.0, "we begin"),), partial="now"))
    assert server.events == [
        final_event(line, raw),
        {"type": "partial", "seq": 0, "text": "now" if raw else "<now>", "source": "You"},
    ]
    assert server.events[0]["text"] == ("we begin" if raw else "We begin.")
