"""Each word's time, from when the recognizer emitted it, carried to the journal and the
subtitles' cuts (issue 36: cues cut between words using the words' times)."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path

import srt

from tui_captions.asr.endpointing import SegmentTracker, word_times
from tui_captions.asr.wav2vec2.ctc import GreedyPath, LabelText
from tui_captions.core.segments import Segment
from tui_captions.transcript.formats import SrtWriter
from tui_captions.transcript.journal import SessionJournal, read_journal

PIECES = ["<blank>", "▁the", "▁rain", "▁in", "▁sp", "ain", "▁falls", "▁main", "ly"]
CHUNK_S = 0.16


def pieces(ids: Sequence[int]) -> str:
    return "".join(PIECES[i] for i in ids).replace("▁", " ").strip()


def test_a_word_of_several_pieces_spans_them_all() -> None:
    tokens = [1, 2, 3, 4, 5]  # the rain in sp|ain
    times = [(float(n), n + 0.5) for n in range(len(tokens))]
    assert word_times(tokens, times, pieces) == ((0, 0.5), (1, 1.5), (2, 2.5), (3, 4.5))


def test_letters_with_a_separator_are_words_too() -> None:
    text = LabelText(["<pad>", "|", "A", "B"], "|")
    tokens = [2, 3, 1, 3, 2]  # "AB BA"
    times = [(float(n), n + 1.0) for n in range(len(tokens))]
    assert word_times(tokens, times, text) == ((0.0, 3.0), (3.0, 5.0))


def test_no_times_where_the_words_cannot_be_matched() -> None:
    assert word_times([], [], pieces) == ()

    def merging(ids: Sequence[int]) -> str:  # "one two" until the second token joins them
        return "one two" if len(ids) == 1 else "onetwo"

    assert word_times([1, 2], [(0.0, 1.0), (1.0, 2.0)], merging) == ()


def test_the_tracker_times_each_word_by_the_chunk_it_came_in() -> None:
    tracker = SegmentTracker(CHUNK_S, pieces, endpoint_silence_s=0.32)
    script = [[1], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2], [1, 2, 6], [1, 2, 6]]
    for index, best in enumerate(script):
        tracker.update(best, index)
    (segment,) = tracker.close([1, 2, 6, 7, 8])  # the search's final choice adds "mainly"
    assert segment.text == "the rain falls mainly"
    chunk = [round(start / CHUNK_S) for start, _ in segment.word_times]
    assert chunk == [0, 1, 7, 7]  # "mainly": the last chunk that brought a token
    assert all(end - start >= CHUNK_S - 1e-9 for start, end in segment.word_times)


def test_a_revised_word_takes_the_chunk_it_was_revised_in() -> None:
    tracker = SegmentTracker(CHUNK_S, pieces)
    tracker.update([1, 3], 0)  # "the in" ...
    tracker.update([1, 2], 4)  # ... was "the rain", heard by chunk 4
    (segment,) = tracker.close()
    assert [round(s / CHUNK_S) for s, _ in segment.word_times] == [0, 4]


def test_the_ctc_path_times_its_words_by_frame() -> None:
    text = LabelText(["<pad>", "|", "A", "B"], "|")
    path = GreedyPath(blank=0, text=text, endpoint_frames=3, max_frames=100)
    for frame, label in enumerate([2, 0, 3, 1, 0, 0, 0, 0, 3, 2]):
        path.push(label, frame)
    closed = path.close()
    assert closed.frames == [0, 2, 3, 8, 9]


def test_the_journal_keeps_word_times_and_reads_older_lines_without_them(
    tmp_path: Path,
) -> None:
    journal = SessionJournal.create("talk.wav", "demo-tiny", directory=tmp_path)
    timed = Segment(0, 1.0, 3.0, "the rain", word_times=((1.0, 1.16), (2.5, 2.66)))
    journal.append(timed)
    journal.append(Segment(1, 4.0, 5.0, "no times"))
    journal.close({})
    segments = read_journal(journal.path).segments
    assert [s.word_times for s in segments] == [((1.0, 1.16), (2.5, 2.66)), ()]


def test_subtitles_cut_where_the_recognizer_heard_the_words() -> None:
    """A pause inside a segment (shorter than an endpoint): by the letters' share the
    second sentence would start at about 2.9 s; it was said at 6.0 s."""
    first = "the rain in spain falls mainly on the plain."
    second = "it does, they say."
    words = [*first.split(), *second.split()]
    times = [(0.2 + 0.4 * n, 0.5 + 0.4 * n) for n in range(len(first.split()))]
    times += [(6.0 + 0.3 * n, 6.25 + 0.3 * n) for n in range(len(second.split()))]
    segment = Segment(0, 0.2, 7.0, " ".join(words), word_times=tuple(times))
    out = io.StringIO()
    writer = SrtWriter(out)
    writer.write(segment)
    writer.close()
    cues = list(srt.parse(out.getvalue()))
    assert [cue.content.replace("\n", " ") for cue in cues] == [first, second]
    assert cues[1].start.total_seconds() == 6.0
    assert cues[0].end.total_seconds() <= 6.0


def test_damaged_word_times_cost_a_line_its_times_not_its_text(tmp_path: Path) -> None:
    journal = SessionJournal.create("talk.wav", "demo-tiny", directory=tmp_path)
    journal.close({})
    header = journal.path.read_text().splitlines()[0]
    for damaged in ([[1]], [[1, "a"]], [1, 2], "words"):
        line = {"type": "final", "id": 0, "start": 1.0, "end": 2.0, "text": "a b"}
        journal.path.write_text(header + "\n" + json.dumps(line | {"words": damaged}) + "\n")
        (segment,) = read_journal(journal.path).segments
        assert (segment.text, segment.word_times) == ("a b", ())
