"""Known answers: held-out synthetic voices in conversation through the live labeller."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from tests.speaker_audio import TINY_SPEAKERS, diarization_error, feed, talk_turns
from tools.tiny_speakers.conversations import Conversation, conversation, distinct_speakers
from tui_captions.speakers.clustering import ClusterSettings
from tui_captions.speakers.embedding import SpeakerEmbedder
from tui_captions.speakers.labeller import LabelSettings, SpeakerLabeller, SpeakerSpan
from tui_captions.speakers.vad import SAMPLE_RATE


@pytest.fixture(scope="module")
def embedder() -> SpeakerEmbedder:
    return SpeakerEmbedder(TINY_SPEAKERS)


@pytest.fixture(scope="module")
def three_voices() -> Conversation:
    return conversation(distinct_speakers(3, seed=11), seed=11, seconds=45.0)


@pytest.fixture(scope="module")
def labelled(embedder: SpeakerEmbedder, three_voices: Conversation) -> SpeakerLabeller:
    """The conversation through a labeller on its own thread, fed as a capture worker would."""
    labeller = SpeakerLabeller(embedder)
    labeller.start()
    feed(labeller, three_voices.audio)
    labeller.finish(timeout=120)
    return labeller


def test_a_held_out_conversation_is_labelled_with_der_under_15_percent(
    three_voices: Conversation, labelled: SpeakerLabeller
) -> None:
    assert not labelled.failed
    der = diarization_error(talk_turns(three_voices), labelled, three_voices.seconds)
    assert der <= 0.15, f"DER {der:.3f}"
    assert {t.speaker for t in labelled.turns()} == {"Speaker 1", "Speaker 2", "Speaker 3"}


def test_each_long_turn_is_answered_with_its_speaker_and_silence_with_none(
    three_voices: Conversation, labelled: SpeakerLabeller
) -> None:
    names: dict[str, set[str | None]] = {}
    for turn in three_voices.turns:
        if turn.end - turn.start < 3.0:
            continue  # a new voice's first short turn waits for more speech (and may not get it)
        # the middle of each turn: clear of the pauses and overlaps at its ends
        middle = (turn.start + turn.end) / 2
        names.setdefault(turn.speaker, set()).add(
            labelled.speaker_between(middle - 0.3, middle + 0.3)
        )
    assert len(names) == 3
    assert all(len(found) == 1 and None not in found for found in names.values()), names
    assert len(set.union(*names.values())) == 3
    assert labelled.speaker_between(0.0, 0.3) is None  # before anyone spoke


def test_listeners_hear_every_label_that_readers_are_told(embedder: SpeakerEmbedder) -> None:
    talk = conversation(distinct_speakers(2, seed=5), seed=5, seconds=20.0)
    heard: list[SpeakerSpan] = []
    labeller = SpeakerLabeller(embedder, listener=heard.append)
    feed(labeller, talk.audio)
    labeller.finish()
    assert heard and all(span.speaker is not None for span in heard)
    latest = {(span.start, span.end): span.speaker for span in heard}
    turns = labeller.turns()
    for (start, end), speaker in latest.items():
        assert labeller.speaker_between(start, end) == speaker
    assert turns[0].start == pytest.approx(talk.turns[0].start, abs=0.3)


def test_a_gap_in_the_audio_ends_the_speech_before_it(embedder: SpeakerEmbedder) -> None:
    talk = conversation(distinct_speakers(2, seed=6), seed=6, seconds=12.0)
    labeller = SpeakerLabeller(embedder)
    half = len(talk.audio) // 2
    feed(labeller, talk.audio[:half])
    feed(labeller, talk.audio[half:], offset=100.0)  # the source resumed much later
    labeller.finish()
    assert all(not (t.start < 50 < t.end) for t in labeller.turns())
    assert labeller.turns()[-1].end > 100


def test_more_voices_than_the_cap_is_one_warning_and_labels_go_on(
    embedder: SpeakerEmbedder, caplog: pytest.LogCaptureFixture
) -> None:
    talk = conversation(distinct_speakers(3, seed=12), seed=12, seconds=25.0, turn_s=(3.0, 5.0))
    settings = LabelSettings(clustering=ClusterSettings(max_speakers=2))
    labeller = SpeakerLabeller(embedder, settings=settings)
    with caplog.at_level(logging.WARNING, logger="tui_captions.speakers"):
        feed(labeller, talk.audio)
        labeller.finish()
    warnings = [r for r in caplog.records if "cap of 2" in r.getMessage()]
    assert len(warnings) == 1
    assert {t.speaker for t in labeller.turns()} == {"Speaker 1", "Speaker 2"}


class BrokenEmbedder(SpeakerEmbedder):
    """An extractor that fails on first use (as a model that cannot run this input would)."""

    def __init__(self) -> None:
        super().__init__(TINY_SPEAKERS)

    def embed(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        raise RuntimeError("the extractor broke")


def test_a_failing_labeller_warns_once_and_answers_none_from_then_on(
    three_voices: Conversation, caplog: pytest.LogCaptureFixture
) -> None:
    labeller = SpeakerLabeller(BrokenEmbedder())
    labeller.start()
    with caplog.at_level(logging.WARNING, logger="tui_captions.speakers"):
        feed(labeller, three_voices.audio[: 15 * SAMPLE_RATE])
        labeller.finish(timeout=60)
    assert labeller.failed
    assert [r.getMessage() for r in caplog.records] == ["speaker labelling failed"]
    assert labeller.speaker_between(0, three_voices.seconds) is None


def test_the_fixture_is_small_enough_to_commit() -> None:
    assert Path(TINY_SPEAKERS).stat().st_size <= 5 * 1024 * 1024
