"""Hotwords: parsing, the context graph, and what a path of tokens earns in it."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from tui_captions.asr.context_graph import ContextGraph, build_graph
from tui_captions.asr.hotwords import Hotword, parse_hotwords, read_hotwords_file
from tui_captions.asr.transducer import advance, bonus_row, finished
from tui_captions.errors import UserError

# A toy vocabulary: whole words (a leading ▁), word pieces, and an unknown id.
PIECES = ["<unk>", "\u2581tea", "ch", "\u2581cat", "\u2581budget", "\u2581review", "\u2581the", ""]
ID = {p.lstrip("\u2581"): i for i, p in enumerate(PIECES) if p}
S = 1.5


def encode(phrase: str) -> list[int]:
    return [ID.get(word, 0) for word in phrase.split()]


def graph(*phrases: str) -> ContextGraph:
    return build_graph([Hotword(p, S) for p in phrases], encode, PIECES, unknown=0)


def step(
    context: ContextGraph, state: tuple[int, float, float], token: int
) -> tuple[int, float, float, float]:
    """One hypothesis's (node, floor, pending) after ``token``, and what it earned."""
    node, floor, pending = state
    moved = advance(
        context,
        torch.tensor([node]),
        torch.tensor([floor]),
        torch.tensor([pending]),
        torch.tensor([token]),
    )
    return int(moved[0]), float(moved[1]), float(moved[2]), float(moved[3])


def earned(context: ContextGraph, words: str) -> float:
    """What the path earns by the end of the line (partial matches given back)."""
    state, total = (0, 0.0, 0.0), 0.0
    for token in encode(words.replace("teach", "tea ch")):
        node, floor, pending, change = step(context, state, token)
        state, total = (node, floor, pending), total + change
    return total - (float(context.score[state[0]]) - state[1])


@pytest.mark.parametrize(
    ("phrases", "said", "expected"),
    [
        (("tea",), "tea the cat", S),  # a whole word: kept
        (("tea",), "teach the cat", 0.0),  # only the start of "teach": given back
        (("budget review",), "budget review the", 2 * S),
        (("budget review",), "budget the review", 0.0),  # fell off: given back
        (("budget review",), "the budget", 0.0),  # unfinished at the line's end
        (("budget", "budget review"), "budget review", 2 * S),  # both, nested
        (("budget", "budget review"), "budget the", S),  # the shorter one stays
        (("cat", "tea"), "cat tea cat", 3 * S),
    ],
)
def test_what_a_line_earns(phrases: tuple[str, ...], said: str, expected: float) -> None:
    assert earned(graph(*phrases), said) == pytest.approx(expected)


WORDS = [p.lstrip("\u2581") for p in PIECES[1:-1]]


@given(
    phrases=st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=3), min_size=1),
    path=st.lists(st.integers(1, len(PIECES) - 2), max_size=12),
)
def test_the_search_rows_are_what_each_token_would_earn(
    phrases: list[list[str]], path: list[int]
) -> None:
    """The row the beam search adds for every token at once is :func:`advance`, token by
    token, in whatever state a path of tokens leaves a hypothesis."""
    context = graph(*{" ".join(p) for p in phrases})
    state = (0, 0.0, 0.0)
    for token in [*path, None]:
        row = bonus_row(context, *state).tolist()
        assert row == pytest.approx([step(context, state, t)[3] for t in range(len(row))])
        if token is not None:
            node, floor, pending, _ = step(context, state, token)
            state = (node, floor, pending)


def test_the_line_end_gives_back_partial_matches_when_choosing_the_text() -> None:
    """At an endpoint the best hypothesis is chosen without what unfinished matches lent it."""
    context = graph("budget review")
    node, floor, pending, _ = step(context, (0, 0.0, 0.0), ID["budget"])
    lent = (
        [0, ID["budget"]],
        None,
        None,
        -1.0 + S,
        node,
        floor,
        pending,
    )  # ahead only by the lent bonus
    plain = ([0, ID["the"]], None, None, -0.9, 0, 0.0, 0.0)
    assert finished([lent, plain], context) == [0, ID["the"]]  # type: ignore[list-item]
    assert finished([lent, plain], None) == [0, ID["budget"]]  # type: ignore[list-item]


def test_a_phrase_the_model_cannot_write_is_refused() -> None:
    with pytest.raises(UserError, match="'zebra tea': this model cannot write it"):
        graph("zebra tea")


def test_parsing_options_and_files(tmp_path: Path) -> None:
    assert parse_hotwords(" Alice , Budget  Review :2.5,,", S) == [
        Hotword("alice", S),
        Hotword("budget review", 2.5),
    ]
    with pytest.raises(UserError, match="'lots' after ' :' is not a score"):
        parse_hotwords("budget :lots", S)
    with pytest.raises(UserError, match="must be above 0"):
        parse_hotwords("budget :0", S)
    path = tmp_path / "words.txt"
    path.write_text("# team\nKonrad :3\n\nbudget review\n")
    assert read_hotwords_file(path, S) == [Hotword("konrad", 3.0), Hotword("budget review", S)]
    path.write_text("# nothing\n\n")
    with pytest.raises(UserError, match="has no phrase"):
        read_hotwords_file(path, S)
    with pytest.raises(UserError, match="cannot be read"):
        read_hotwords_file(tmp_path / "missing.txt", S)
    path.write_bytes(b"\xff\xfe\x00bin")
    with pytest.raises(UserError, match="cannot be read"):
        read_hotwords_file(path, S)
