"""Speaker labels in a live session: lines carry the speaker known, later labels are updates."""

from __future__ import annotations

import math
from pathlib import Path

from tests.unit.test_pipeline_session import FakeEngine, update
from tui_captions.core.events import SourceEnded
from tui_captions.core.segments import Segment
from tui_captions.core.sinks import SessionSink
from tui_captions.pipeline.session import CaptionSession
from tui_captions.transcript.formats import speaker_event


class ScriptedLabels:
    """A labeller whose spans and progress the test sets."""

    def __init__(self) -> None:
        self.spans: list[tuple[float, float, str]] = []
        self.processed_to = 0.0
        self.undecided_from = math.inf
        self.failed = False
        self.finished = False

    def speaker_between(self, start: float, end: float) -> str | None:
        heard = [s for a, b, s in self.spans if min(end, b) - max(start, a) > 0]
        return heard[-1] if heard else None

    def finish(self, timeout: float | None = None) -> None:
        self.finished = True


class Seen(SessionSink):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def final(self, segment: Segment) -> None:
        self.seen.append(f"final {segment.id} {segment.text} {segment.speaker!r}")

    def speaker(self, segment: Segment) -> None:
        self.seen.append(f"speaker {segment.id} {segment.text} {segment.speaker!r}")


def labelled_session(tmp_path: Path) -> tuple[CaptionSession, ScriptedLabels, Seen, list[str]]:
    warnings: list[str] = []
    session = CaptionSession("demo-tiny", directory=tmp_path, on_warning=warnings.append)
    labels = ScriptedLabels()
    session.add_channel("", "talk.wav", FakeEngine(), 0.16, labeller=labels)
    seen = Seen()
    session.subscribe(seen)
    return session, labels, seen, warnings


def test_a_line_carries_the_speaker_known_and_a_later_label_is_an_update(
    tmp_path: Path,
) -> None:
    session, labels, seen, _ = labelled_session(tmp_path)
    labels.spans = [(0.0, 2.0, "Speaker 1")]
    session.accept("", update((Segment(0, 0.0, 2.0, "hello there"),)))
    session.accept("", update((Segment(1, 3.0, 4.0, "who is this"),)))  # not labelled yet
    assert seen.seen == ["final 0 hello there 'Speaker 1'", "final 1 who is this ''"]
    labels.spans.append((3.0, 4.0, "Speaker 2"))
    session.accept("", update(()))
    labels.spans[-1] = (3.0, 4.0, "Speaker 1")  # the clusterer changed its mind
    session.accept("", update(()))
    session.accept("", update(()))  # nothing new: no event
    assert seen.seen[2:] == [
        "speaker 1 who is this 'Speaker 2'",
        "speaker 1 who is this 'Speaker 1'",
    ]


def test_a_settled_line_is_let_go_and_closing_hands_on_the_last_labels(tmp_path: Path) -> None:
    session, labels, seen, _ = labelled_session(tmp_path)
    session.accept("", update((Segment(0, 0.0, 1.0, "early"), Segment(1, 9.0, 10.0, "late"))))
    labels.processed_to = 9.0  # "early" is settled: long labelled past, with no speaker
    session.accept("", update(()))
    labels.spans = [(0.0, 1.0, "Speaker 1"), (9.0, 10.0, "Speaker 2")]
    session.accept("", SourceEnded("end", (), 0))
    session.close()
    assert labels.finished
    assert seen.seen[2:] == ["speaker 1 late 'Speaker 2'"]


def test_labelling_that_stops_is_one_warning_and_captions_go_on(tmp_path: Path) -> None:
    session, labels, seen, warnings = labelled_session(tmp_path)
    labels.failed = True
    session.accept("", update((Segment(0, 0.0, 1.0, "still captioned"),)))
    session.accept("", update((Segment(1, 1.0, 2.0, "and on"),)))
    assert seen.seen == ["final 0 still captioned ''", "final 1 and on ''"]
    assert warnings == ["speaker labels stopped (the log file says why); captions go on"]


def test_labelling_that_fails_hands_on_the_last_labels_and_lets_every_line_go(
    tmp_path: Path,
) -> None:
    session, labels, seen, _ = labelled_session(tmp_path)
    session.accept("", update((Segment(0, 0.0, 1.0, "early"), Segment(1, 9.0, 10.0, "late"))))
    labels.spans = [(9.0, 10.0, "Speaker 2")]  # labelled just before it failed
    labels.failed = True
    session.accept("", update(()))
    assert seen.seen[2:] == ["speaker 1 late 'Speaker 2'"]
    assert labels.finished  # its thread is told to end
    labels.spans = [(0.0, 1.0, "Speaker 1")]  # no failed labeller is asked again
    session.accept("", update((Segment(2, 11.0, 12.0, "after"),)))
    assert seen.seen[3:] == ["final 2 after ''"]


def test_the_jsonl_speaker_event_names_its_line_by_times_and_source() -> None:
    line = Segment(4, 1.23456, 2.5, "hi", channel="Them", speaker="Speaker 2")
    assert speaker_event(line) == {
        "type": "speaker",
        "start": 1.235,
        "end": 2.5,
        "speaker": "Speaker 2",
        "source": "Them",
    }


def test_a_line_whose_speaker_changes_is_two_lines_numbered_and_made_readable(
    tmp_path: Path,
) -> None:
    session, labels, _, _ = labelled_session(tmp_path)
    labels.spans = [(0.0, 1.45, "Speaker 1"), (1.45, 3.0, "Speaker 2")]
    times = ((0.0, 0.6), (0.7, 1.4), (1.5, 2.0), (2.1, 2.9))
    line = Segment(0, 0.0, 3.0, "yes indeed and you", word_times=times)
    shown = session.accept("", update((line,)))
    assert [(s.id, s.display, s.speaker) for s in shown] == [
        (0, "Yes indeed", "Speaker 1"),
        (1, "And you", "Speaker 2"),
    ]
