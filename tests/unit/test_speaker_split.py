"""A line during which the speaker changes is cut between words, by the words' times."""

from __future__ import annotations

import dataclasses
import math

from tui_captions.core.segments import Segment
from tui_captions.speakers.lines import LabelledLines, SpeakerOf, split_at_speaker_changes

# Words 0.4 s long every 0.5 s from 1.0 s: "so" 1.0-1.4, "what" 3.5-3.9, "it" 5.5-5.9.
WORDS = ["so", "that", "is", "my", "view", "what", "do", "you", "think", "of", "it"]
TIMES = tuple((1.0 + 0.5 * i, 1.4 + 0.5 * i) for i in range(len(WORDS)))
LINE = Segment(7, 0.9, 6.0, " ".join(WORDS), display="So that is...", word_times=TIMES)


def heard(*spans: tuple[float, float, str]) -> SpeakerOf:
    """The speaker of most of each stretch, from (start, end, speaker) spans."""

    def speaker_of(start: float, end: float) -> str | None:
        overlaps = {who: min(end, b) - max(start, a) for a, b, who in spans}
        best = max(overlaps, key=overlaps.__getitem__, default=None)
        return best if best is not None and overlaps[best] > 0 else None

    return speaker_of


def test_a_change_of_speaker_cuts_the_line_between_words() -> None:
    first, second = split_at_speaker_changes(LINE, heard((0, 3.45, "A"), (3.45, 9, "B")))
    assert (first.text, first.speaker) == ("so that is my view", "A")
    assert (second.text, second.speaker) == ("what do you think of it", "B")
    assert (first.start, first.end, second.start, second.end) == (0.9, 3.4, 3.5, 6.0)
    assert first.word_times == TIMES[:5] and second.word_times == TIMES[5:]
    assert first.id == second.id == 7 and first.display == second.display == ""


def test_one_speaker_or_a_flicker_shorter_than_a_turn_keeps_the_line_whole() -> None:
    (whole,) = split_at_speaker_changes(LINE, heard((0, 9, "A")))
    assert whole == dataclasses.replace(LINE, speaker="A")
    (whole,) = split_at_speaker_changes(LINE, heard((0, 9, "A"), (2.45, 2.85, "B")))
    assert (whole.text, whole.speaker) == (LINE.text, "A")


def test_words_of_no_known_speaker_go_with_their_turn() -> None:
    """Unlabelled words at the start join the first turn, later ones the turn before them."""
    spans = heard((1.95, 3.45, "A"), (3.45, 4.5, "B"))
    first, second = split_at_speaker_changes(LINE, spans)
    assert (first.text, first.speaker) == ("so that is my view", "A")
    assert (second.text, second.speaker) == ("what do you think of it", "B")


def test_a_line_without_word_times_is_labelled_whole() -> None:
    line = Segment(0, 0.0, 4.0, "hello there")
    (whole,) = split_at_speaker_changes(line, heard((0, 1, "A"), (1, 4, "B")))
    assert (whole.text, whole.speaker) == ("hello there", "B")
    (unknown,) = split_at_speaker_changes(line, heard())
    assert unknown.speaker == ""


class StuckLabels:
    """A labeller that worked to 3 s and then stopped, by failing or not."""

    def __init__(self, failed: bool) -> None:
        self.failed = failed
        self.processed_to = 3.0
        self.undecided_from = math.inf

    def speaker_between(self, start: float, end: float) -> str | None:
        return "Speaker 1" if end <= 3.0 else None

    def finish(self, timeout: float | None = None) -> None:
        """Nothing to finish."""


def test_lines_wait_for_their_labels_unless_labelling_failed() -> None:
    for failed in (False, True):
        lines = LabelledLines(StuckLabels(failed), settle_s=2.5)
        lines.add(Segment(0, 0.0, 0.5, "settled"))
        lines.add(Segment(1, 1.0, 2.0, "waiting"))
        ready = [(s.text, s.speaker) for s in lines.ready()]
        expected = [("settled", "Speaker 1")]
        assert ready == ([*expected, ("waiting", "Speaker 1")] if failed else expected)


def test_a_line_waits_while_a_piece_of_its_speech_has_no_speaker_decided() -> None:
    labels = StuckLabels(failed=False)
    labels.processed_to = 30.0  # worked far past both lines
    labels.undecided_from = 1.2  # a short turn there waits for its speaker
    lines = LabelledLines(labels, settle_s=2.5)
    lines.add(Segment(0, 0.0, 0.5, "before"))
    lines.add(Segment(1, 1.0, 2.0, "short turn"))
    assert [s.text for s in lines.ready()] == ["before"]
    labels.undecided_from = math.inf  # decided
    assert [s.text for s in lines.ready()] == ["short turn"]
