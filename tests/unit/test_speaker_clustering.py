"""Online clustering's logic on made-up embeddings: when a speaker is made, joined, capped."""

from __future__ import annotations

import numpy as np

from tui_captions.speakers.clustering import ClusterSettings, OnlineClusterer

DIM = 16


def voice(index: int, jitter: float = 0.0, seed: int = 0) -> np.ndarray:
    """A direction per voice (orthogonal axes), a little noise on top."""
    vector = np.zeros(DIM, dtype=np.float32)
    vector[index] = 1.0
    noise = np.random.default_rng(seed).normal(0.0, jitter, DIM).astype(np.float32)
    return vector + noise


def test_a_speaker_is_made_only_after_enough_speech_and_then_labels_what_waited() -> None:
    clusterer = OnlineClusterer(ClusterSettings(new_speaker_s=2.0))
    assert clusterer.add("a", voice(0, 0.05, 1), 0.75) == {"a": None}
    assert clusterer.add("b", voice(0, 0.05, 2), 0.75) == {"b": None}
    assert clusterer.add("c", voice(0, 0.05, 3), 0.75) == {"a": 0, "b": 0, "c": 0}
    assert clusterer.add("d", voice(0, 0.05, 4), 0.5) == {"d": 0}
    assert clusterer.speaker_count == 1


def test_a_second_voice_becomes_speaker_two() -> None:
    clusterer = OnlineClusterer(ClusterSettings(new_speaker_s=1.5))
    clusterer.add(0, voice(0), 2.0)
    assert clusterer.add(1, voice(1, 0.05, 1), 1.0) == {1: None}
    assert clusterer.add(2, voice(1, 0.05, 2), 1.0) == {1: 1, 2: 1}
    assert clusterer.add(3, voice(0, 0.05, 3), 1.0) == {3: 0}


def test_one_odd_piece_makes_no_speaker_and_goes_to_the_nearest_when_another_voice_comes() -> None:
    clusterer = OnlineClusterer(ClusterSettings(new_speaker_s=2.0))
    clusterer.add("first", voice(0), 2.0)
    odd = voice(0) * 0.3 + voice(1)  # nearer voice 0 than a new voice is, yet below threshold
    assert clusterer.add("odd", odd, 1.0) == {"odd": None}
    decided = clusterer.add("new", voice(2), 1.0)
    assert decided == {"odd": 0, "new": None}
    assert clusterer.speaker_count == 1


def test_past_the_cap_a_new_voice_gets_the_nearest_speaker() -> None:
    clusterer = OnlineClusterer(ClusterSettings(max_speakers=2, new_speaker_s=1.0))
    clusterer.add(0, voice(0), 1.0)
    clusterer.add(1, voice(1), 1.0)
    assert not clusterer.cap_reached
    third = voice(2) + voice(1) * 0.2
    assert clusterer.add(2, third, 3.0) == {2: 1}
    assert clusterer.cap_reached
    assert clusterer.speaker_count == 2


def test_a_centroid_follows_its_speaker_as_the_voice_drifts() -> None:
    clusterer = OnlineClusterer(ClusterSettings(threshold=0.8, new_speaker_s=1.0, memory_s=3.0))
    clusterer.add(0, voice(0), 1.0)
    # drift slowly from axis 0 towards axis 1: each step is within the threshold of the last
    for step in range(1, 11):
        angle = step / 10 * np.pi / 2
        drifted = np.cos(angle) * voice(0) + np.sin(angle) * voice(1)
        assert clusterer.add(step, drifted, 1.0) == {step: 0}
    assert clusterer.speaker_count == 1


def test_a_waiting_short_turn_goes_to_the_nearest_speaker_once_others_talked_long_enough() -> None:
    clusterer = OnlineClusterer(ClusterSettings(new_speaker_s=2.0, settle_s=3.0))
    clusterer.add("a", voice(0), 2.0)
    clusterer.add("b", voice(1), 2.0)
    short = voice(1) * 0.5 + voice(2)  # unlike both: waits
    assert clusterer.add("short", short, 1.5) == {"short": None}
    assert clusterer.add("c", voice(0, 0.05, 1), 1.5) == {"c": 0}
    assert clusterer.add("d", voice(0, 0.05, 2), 1.5) == {"short": 1, "d": 0}
    assert clusterer.speaker_count == 2


def test_at_the_end_waiting_pieces_go_to_the_nearest_speaker() -> None:
    clusterer = OnlineClusterer(ClusterSettings(new_speaker_s=2.0))
    clusterer.add("a", voice(0), 2.0)
    clusterer.add("b", voice(1), 2.0)
    assert clusterer.add("short", voice(0) + voice(2) * 1.2, 1.5) == {"short": None}
    assert clusterer.settle() == {"short": 0}
    assert clusterer.settle() == {}
    assert clusterer.speaker_count == 2


def test_a_single_short_voice_is_speaker_one_when_the_audio_ends() -> None:
    clusterer = OnlineClusterer(ClusterSettings(new_speaker_s=2.0))
    assert clusterer.add("only", voice(0), 0.8) == {"only": None}
    assert clusterer.settle() == {"only": 0}
    assert clusterer.speaker_count == 1


def test_a_short_first_turn_interrupted_before_anybody_is_a_speaker_waits_for_the_first() -> None:
    clusterer = OnlineClusterer(ClusterSettings(new_speaker_s=2.0))
    assert clusterer.add("hi", voice(0), 1.0) == {"hi": None}
    assert clusterer.add("b1", voice(1), 1.0) == {"b1": None}  # "hi" is not dropped: it waits
    assert clusterer.waiting_keys == ["hi", "b1"]
    assert clusterer.add("b2", voice(1, 0.05, 1), 1.0) == {"b1": 0, "b2": 0, "hi": 0}
    assert clusterer.waiting_keys == []


def test_with_nobody_a_speaker_at_the_end_the_longest_waiting_group_is_speaker_one() -> None:
    clusterer = OnlineClusterer(ClusterSettings(new_speaker_s=5.0))
    clusterer.add("a", voice(0), 1.0)
    clusterer.add("b1", voice(1), 1.5)
    clusterer.add("b2", voice(1, 0.05, 1), 1.5)
    assert clusterer.settle() == {"b1": 0, "b2": 0, "a": 0}
    assert clusterer.speaker_count == 1
