"""The caption session's bookkeeping: ids, channels, journal before display, figures, close."""

from __future__ import annotations

from pathlib import Path

from tui_captions.audio.protocol import FfmpegSource, Source
from tui_captions.core.events import RecognizerUpdate, SourceEnded, SourceQuiet, SourceStarted
from tui_captions.core.segments import Segment
from tui_captions.pipeline.session import CaptionSession
from tui_captions.text.postprocess import TextContext
from tui_captions.transcript.journal import read_journal


class FakeEngine:
    """Records what the session asks of a channel's engine (no capture)."""

    def __init__(self, position: int = 0) -> None:
        self.calls: list[str] = []
        self.position = position

    def start(self, source: Source, at: int, origin: float | None = None) -> None:
        self.calls.append(f"start {source.label} at {at}")
        self.position = max(self.position, at)

    def stop(self) -> None:
        self.calls.append("stop")


def update(
    finals: tuple[Segment, ...], latency_ms: float = 50.0, dropped: int = 0, partial: str = ""
) -> RecognizerUpdate:
    return RecognizerUpdate(0, partial, finals, 9.0, latency_ms, 0, dropped, -20.0, -10.0, False)


def test_segments_get_session_ids_and_their_channel_and_are_journaled_first(
    tmp_path: Path,
) -> None:
    session = CaptionSession("demo-tiny", directory=tmp_path)
    mic, system = FakeEngine(), FakeEngine()
    session.add_channel("mic", "You", mic, 0.16)
    session.add_channel("system", "Them", system, 0.16)
    # Each stream numbers its own segments from 0; the session numbers them across channels.
    first = session.accept("mic", update((Segment(0, 0.0, 1.0, "hello"),)))
    journal = session.journal_if_open
    assert journal is not None and [s.text for s in read_journal(journal.path).segments] == [
        "hello"
    ]
    second = session.accept("system", SourceEnded("end", (Segment(0, 0.5, 2.0, "hi"),), 0))
    assert first == (Segment(0, 0.0, 1.0, "hello", "mic", "Hello"),)
    assert second == (Segment(1, 0.5, 2.0, "hi", "system", "Hi"),)
    assert session.accept("mic", SourceStarted("You", "wav", 16000, 1, 5.0)) == ()
    assert session.close() is journal
    assert mic.calls == system.calls == ["stop"]
    saved = read_journal(journal.path)
    assert [(s.id, s.channel) for s in saved.segments] == [(0, "mic"), (1, "system")]
    assert not saved.interrupted
    assert saved.stats["mic.chunks"] == 1 and saved.stats["system.chunks"] == 0


def test_one_channel_keeps_todays_figures_and_a_session_without_lines_has_no_journal(
    tmp_path: Path,
) -> None:
    session = CaptionSession("demo-tiny", directory=tmp_path)
    engine = FakeEngine()
    channel = session.add_channel("", "-", engine, 0.16)
    session.start("", FfmpegSource("talk.wav"))
    assert channel.label == "talk.wav" and engine.calls == ["stop", "start talk.wav at 0"]
    session.accept("", update((), latency_ms=80.0))
    assert channel.stats.chunks == 1
    assert session.close() is None and list(tmp_path.iterdir()) == []
    assert session.stats()["latency_ms_p50"] == 80.0


def test_dropped_chunks_add_up_across_a_sources_restarts(tmp_path: Path) -> None:
    """Each source session counts its drops from zero; the channel's figure is their sum."""
    session = CaptionSession("demo-tiny", directory=tmp_path)
    channel = session.add_channel("", "talk.wav", FakeEngine(), 0.16)
    session.accept("", update((), dropped=3))
    session.accept("", SourceEnded("stopped", (), 4))  # one more before it stopped
    session.accept("", update((), dropped=2))  # the restarted source's own count
    assert channel.stats.dropped == 6 and session.stats()["dropped"] == 6


def test_a_channel_started_later_joins_the_session_clock(tmp_path: Path) -> None:
    session = CaptionSession("demo-tiny", directory=tmp_path)
    mic, system = FakeEngine(position=50), FakeEngine()  # the mic has captured 50 chunks
    session.add_channel("mic", "You", mic, 0.16)
    session.add_channel("system", "Them", system, 0.16)
    session.start("system", FfmpegSource("call.wav"))
    assert system.calls[-1] == "start call.wav at 50" and session.position == 50


def test_a_source_added_after_the_journal_opened_is_journaled_with_its_label(
    tmp_path: Path,
) -> None:
    """The app picks a meeting's sources mid-session: the journal learns the new channels."""
    session = CaptionSession("tiny", directory=tmp_path)
    session.add_channel("", "talk.wav", FakeEngine(), 0.16)
    session.accept("", update((Segment(0, 0.0, 1.0, "before"),)))
    session.add_channel("You", "You", FakeEngine(), 0.16, "microphone")
    session.add_channel("Them", "Them", FakeEngine(), 0.16, "system")
    session.accept("Them", update((Segment(0, 2.0, 3.0, "the call"),)))
    echo = session.accept("You", update((Segment(0, 2.1, 3.1, "the call"),)))
    session.accept("You", update((Segment(1, 5.0, 6.0, "my words"),)))
    assert echo == () and session.final_count == 3  # not shown, not counted as a line
    journal = session.close()
    assert journal is not None
    saved = read_journal(journal.path)
    assert saved.channels == {"": "talk.wav", "You": "You", "Them": "Them"}
    assert [(s.channel, s.text, s.echo) for s in saved.segments] == [
        ("", "before", False), ("Them", "the call", False), ("You", "the call", True),
        ("You", "my words", False),
    ]  # fmt: skip
    assert saved.stats["You.echo_dropped"] == 1


def test_the_system_audios_partial_is_forgotten_when_it_goes_quiet_or_ends(
    tmp_path: Path,
) -> None:
    """What system audio was saying when it went quiet is final (or gone): the user's
    own words minutes later, repeating most of it, are shown and journaled as theirs."""
    session = CaptionSession("demo-tiny", directory=tmp_path)
    mic, system = FakeEngine(), FakeEngine(position=15)  # 2.4 s into the session
    session.add_channel("You", "You", mic, 0.16, "microphone")
    session.add_channel("Them", "Them", system, 0.16, "system")
    mine = Segment(0, 0.5, 2.2, "the dog is green and the war")
    for ending in (SourceQuiet(()), SourceEnded("stopped", (), 0)):
        session.accept("Them", update((), partial="the dog is green and the we today"))
        assert session.accept("You", update((mine,))) == ()  # an echo while it is said
        session.accept("Them", ending)
        shown = session.accept("You", update((mine,)))
        assert [s.text for s in shown] == [mine.text]
    journal = session.close()
    assert journal is not None
    saved = read_journal(journal.path).segments
    assert [s.echo for s in saved] == [True, False, True, False]


class Recorded:
    """A post-processor that says what it was given: each line with its source's context."""

    name = "recorded"

    def final(self, text: str, before: TextContext) -> str:
        return f"[{' '.join(before.words)}|{before.last}] {text.upper()}"

    def partial(self, text: str) -> str:
        return text


def test_each_final_line_is_made_readable_after_its_sources_earlier_lines(
    tmp_path: Path,
) -> None:
    """The seam: a line is read with that source's previous words (not the other source's),
    and the journal keeps the words and their readable form."""
    session = CaptionSession("demo-tiny", directory=tmp_path, post=Recorded())
    session.add_channel("You", "You", FakeEngine(), 0.16)
    session.add_channel("Them", "Them", FakeEngine(), 0.16)
    shown = [
        *session.accept("You", update((Segment(0, 0.0, 1.0, "so we begin"),))),
        *session.accept("Them", update((Segment(0, 0.5, 1.5, "hello all"),))),
        *session.accept("You", update((Segment(1, 2.0, 3.0, "with the plan"),))),
    ]
    assert [s.display for s in shown] == [
        "[|] SO WE BEGIN",
        "[|] HELLO ALL",
        "[so we begin|[|] SO WE BEGIN] WITH THE PLAN",
    ]
    journal = session.close()
    assert journal is not None
    saved = read_journal(journal.path).segments
    assert [(s.text, s.display) for s in saved] == [(s.text, s.display) for s in shown]
