"""Subtitle cues people can read (BBC, Netflix): checked on what ``srt`` and webvtt-py read back.

At most two lines of 42 characters and 7 s a cue, about a second at least where the
silence after it allows, never over the next cue, cut between words (at a sentence or
clause end where one is near), every word kept in order, and WebVTT's markup escaped.
"""

from __future__ import annotations

import html
import io
import math
from dataclasses import dataclass
from datetime import timedelta

import srt
import webvtt
from hypothesis import given
from hypothesis import strategies as st

from tui_captions.core.segments import Segment
from tui_captions.transcript.cues import MAX_CUE_S, MAX_LINE_CHARS, MAX_LINES, MIN_CUE_S
from tui_captions.transcript.formats import SegmentWriter, SrtWriter, VttWriter

MS = 0.001  # the files' resolution
CHUNK_S = 0.16  # the Emformer's: word times come in its steps


@dataclass(frozen=True)
class ReadCue:
    start: float
    end: float
    lines: list[str]
    label: str


def write(writer: type[SrtWriter | VttWriter], segments: list[Segment]) -> str:
    out = io.StringIO()
    subtitles: SegmentWriter = writer(out)
    for segment in segments:
        subtitles.write(segment)
    subtitles.close()
    return out.getvalue()


def read_srt(text: str) -> list[ReadCue]:
    cues = []
    for cue in srt.parse(text, ignore_errors=False):
        lines = cue.content.split("\n")
        label, colon, first = lines[0].partition(": ")  # "You: " leads a source's cue
        lines[0] = first if colon else lines[0]
        start, end = cue.start.total_seconds(), cue.end.total_seconds()
        cues.append(ReadCue(start, end, lines, label if colon else ""))
    return cues


def read_vtt(text: str) -> list[ReadCue]:
    return [
        ReadCue(
            c.start_in_seconds + int(c.start[-3:]) * MS,
            c.end_in_seconds + int(c.end[-3:]) * MS,
            [html.unescape(line) for line in c.text.split("\n")],
            html.unescape(c.voice or ""),
        )
        for c in webvtt.from_string(text).captions
    ]


words = st.builds(
    str.__add__,
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz'", min_size=1, max_size=14),
    st.sampled_from(["", "", "", "", ",", "."]),  # some clause and sentence ends
)


@st.composite
def talks(draw: st.DrawFn) -> list[Segment]:
    """Segments as a recogniser makes them: in order, each up to 20 s, the gaps between
    them none to a few seconds, with or without a source's label."""
    label = draw(st.sampled_from(["", "You", "Them 2"]))
    segments = []
    time = draw(st.floats(0, 10))
    for n in range(draw(st.integers(1, 8))):
        said = draw(st.lists(words, min_size=1, max_size=50))
        if draw(st.booleans()):  # the recognizer's word times: the chunks the words came in
            steps = draw(st.lists(st.sampled_from([0, 0, 1, 1, 2, 7]), min_size=len(said)))
            chunks = [math.ceil(time / CHUNK_S) + sum(steps[:k]) for k in range(len(said))]
            ends = [*chunks[1:], chunks[-1]]  # a word ends in the chunk the next one starts
            timed = tuple(
                (c * CHUNK_S, (e + 1) * CHUNK_S) for c, e in zip(chunks, ends, strict=True)
            )
            start, end = timed[0][0], timed[-1][1]
        else:
            timed, start = (), time
            end = time + draw(st.floats(0.05, 20))
        segments.append(Segment(n, start, end, " ".join(said), channel=label, word_times=timed))
        time = end + draw(st.sampled_from([0.0, 0.3, 0.9, 4.0]))
    return segments


def assert_readable(segments: list[Segment], cues: list[ReadCue]) -> None:
    spans = [(s.start, s.end) for s in segments]
    for cue, after in zip(cues, [*cues[1:], None], strict=True):
        full = [f"{cue.label}: {cue.lines[0]}" if cue.label else cue.lines[0], *cue.lines[1:]]
        assert 1 <= len(cue.lines) <= MAX_LINES, cue
        # A word longer than a line is the only thing that may pass it (none here is).
        assert all(len(line) <= MAX_LINE_CHARS for line in full), cue
        assert cue.end - cue.start <= MAX_CUE_S + MS, cue
        assert any(start - MS <= cue.start <= end + MS for start, end in spans), cue
        if after is None:
            assert cue.end - cue.start >= MIN_CUE_S - MS, cue
        else:
            assert cue.end <= after.start + MS, (cue, after)  # never over the next one
            # a second on screen, or as long as it can be before the next one
            assert cue.end - cue.start >= min(MIN_CUE_S, after.start - cue.start) - MS
    said = " ".join(s.text for s in segments)
    assert " ".join(" ".join(cue.lines) for cue in cues) == said  # every word, in order
    assert {cue.label for cue in cues} == {s.channel for s in segments}


@given(talks())
def test_every_srt_cue_of_a_talk_is_within_the_limits(segments: list[Segment]) -> None:
    assert_readable(segments, read_srt(write(SrtWriter, segments)))


@given(talks())
def test_every_webvtt_cue_of_a_talk_is_within_the_limits(segments: list[Segment]) -> None:
    assert_readable(segments, read_vtt(write(VttWriter, segments)))


def test_a_fifteen_second_paragraph_becomes_cues_cut_at_sentence_and_clause_ends() -> None:
    """The issue's case: 15 s and 231 characters made one cue on one line."""
    text = (
        "so what we did last year was to look at the numbers again, and the numbers "
        "told us something we did not expect. the market had moved away from us and we "
        "had not noticed it at all, which is a problem for a company like ours, really."
    )
    cues = read_srt(write(SrtWriter, [Segment(0, 1.0, 16.0, text)]))
    assert len(text) == 231 and len(cues) == 4
    assert [cue.lines[-1][-1] for cue in cues] == [",", ".", ",", "."]
    first = cues[0].lines  # two lines, as even as the words allow
    assert first == ["so what we did last year was", "to look at the numbers again,"]


def test_a_short_line_stays_up_a_second_but_never_over_the_next() -> None:
    segments = [
        Segment(0, 1.0, 1.3, "yes."),
        Segment(1, 5.0, 5.4, "right."),
        Segment(2, 5.9, 7.5, "so as i was saying"),
    ]
    cues = read_srt(write(SrtWriter, segments))
    assert [(c.start, c.end) for c in cues] == [(1.0, 2.0), (5.0, 5.9), (5.9, 7.5)]


def test_webvtt_escapes_text_and_labels() -> None:
    segment = Segment(0, 1.0, 2.0, "fish & chips <3 are > all", channel="R&D <team>")
    written = write(VttWriter, [segment])
    assert "<v R&amp;D &lt;team&gt;>fish &amp; chips &lt;3 are &gt; all</v>" in written
    (cue,) = read_vtt(written)
    assert (cue.label, cue.lines) == ("R&D <team>", ["fish & chips <3 are > all"])


def test_srt_times_are_those_of_the_speech() -> None:
    cue = next(srt.parse(write(SrtWriter, [Segment(0, 3721.123, 3725.5, "over an hour")])))
    assert (cue.start, cue.end) == (timedelta(seconds=3721.123), timedelta(seconds=3725.5))
