"""Meeting mode's logic: labels, echo, and how each format carries a line's source."""

from __future__ import annotations

import io

import srt
import webvtt

from tui_captions.core.segments import Segment
from tui_captions.pipeline.echo import EchoGuard
from tui_captions.pipeline.session import unique_labels
from tui_captions.transcript.formats import REGISTRY, final_event


def test_labels_of_the_same_kind_are_numbered() -> None:
    assert unique_labels(["You", "Them", "You", "Them", "You"]) == [
        "You", "Them", "You 2", "Them 2", "You 3",
    ]  # fmt: skip


def test_a_microphone_line_that_repeats_recent_system_audio_is_echo() -> None:
    guard = EchoGuard(window_s=3.0)
    guard.heard(Segment(0, 1.0, 4.0, "the dog is green and the water is black"))
    assert guard.is_echo(Segment(1, 1.2, 4.3, "the dog is green and the we tree is black"))
    assert not guard.is_echo(Segment(2, 1.2, 4.3, "a big bird can sing in the cold"))
    assert not guard.is_echo(Segment(3, 9.0, 12.0, "the dog is green and the water is black"))
    assert not guard.is_echo(Segment(4, 1.0, 1.0, ""))


def test_every_format_carries_the_source_and_one_source_looks_as_before() -> None:
    labelled = Segment(0, 1.0, 2.5, "hello there", channel="Them")
    plain = Segment(1, 3.0, 4.0, "hello there")
    written = {}
    for spec in REGISTRY:
        if spec.writer is None:
            continue
        out = io.StringIO()
        writer = spec.writer(out)
        writer.write(labelled)
        writer.write(plain)
        writer.close()
        written[spec.suffix] = out.getvalue()
    assert written["txt"] == "Them: hello there\nhello there\n"
    assert [c.content for c in srt.parse(written["srt"])] == ["Them: hello there", "hello there"]
    captions = webvtt.from_string(written["vtt"]).captions
    assert [(c.voice, c.text) for c in captions] == [("Them", "hello there"), (None, "hello there")]
    assert final_event(labelled)["source"] == "Them" and "source" not in final_event(plain)


def test_a_microphone_line_that_ends_first_is_echo_of_what_system_audio_is_saying() -> None:
    guard = EchoGuard(window_s=3.0)
    guard.saying("Them", "the dog is green and the we today", 2.4)
    assert guard.is_echo(Segment(0, 0.5, 2.2, "the dog is green and the war"))
    guard.saying("Them", "", 2.6)  # the partial ended
    assert not guard.is_echo(Segment(1, 0.5, 2.2, "the dog is green and the war"))


def test_the_start_of_what_system_audio_says_is_enough_to_tell_an_echo() -> None:
    guard = EchoGuard(window_s=3.0)
    guard.saying("Them", "the dog is green", 2.4)
    assert guard.is_echo(Segment(0, 0.5, 2.4, "the dog is green and the war"))
    guard.saying("Them", "the dog", 2.6)  # two words tell nothing
    assert not guard.is_echo(Segment(1, 0.5, 2.4, "the dog is green and the war"))


def test_what_system_audio_was_saying_long_ago_or_before_it_went_quiet_is_no_echo() -> None:
    """Its partial text counts only within the echo window of the microphone's line, and
    only until that source goes quiet or ends."""
    guard = EchoGuard(window_s=3.0)
    mine = "the dog is green and the war"
    guard.saying("Them", "the dog is green and the we today", 2.4)
    assert not guard.is_echo(Segment(0, 118.0, 120.0, mine))  # two minutes later
    assert guard.is_echo(Segment(1, 0.5, 2.2, mine))
    guard.quiet("Them")
    assert not guard.is_echo(Segment(2, 0.5, 2.2, mine))
