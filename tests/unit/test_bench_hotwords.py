"""What bench.hotwords decides before it measures: one list of words for both models."""

from __future__ import annotations

from bench.hotwords import worst_words


def test_the_words_are_the_worst_on_average_over_the_models() -> None:
    emformer = {"cat": (4, 0), "king": (6, 2), "tea": (5, 5), "rare": (3, 0)}
    sherpa = {"cat": (4, 4), "king": (6, 2), "tea": (5, 4), "rare": (3, 0)}
    # mean recall: king 0.33, cat 0.5, tea 0.9; rare is said too seldom to count
    assert worst_words([emformer, sherpa], 4) == ["king", "cat", "tea"]
    assert worst_words([emformer], 1) == ["cat"]
