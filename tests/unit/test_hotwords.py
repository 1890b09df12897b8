"""Hotwords: parsing, the context graph, and what a path of tokens earns in it."""

from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from tui_captions.asr import context_graph, hotwords
from tui_captions.asr.context_graph import ContextGraph, advance, bonus_row, build_graph
from tui_captions.asr.hotwords import Hotword, parse_hotwords, read_hotwords_file
from tui_captions.asr.transducer_search import Hypothesis, finished
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


class Reference:
    """The graph as defined, on token paths: a hypothesis stands at the longest suffix of its
    tokens that starts a phrase (the root: ``()``), in float32 as the search's tensors."""

    def __init__(self, phrases: list[str]) -> None:
        self.score: dict[tuple[int, ...], float] = {(): 0.0}
        for phrase in phrases:
            ids = tuple(encode(phrase))
            for depth in range(1, len(ids) + 1):
                before = self.score.get(ids[:depth], 0.0)
                self.score[ids[:depth]] = max(before, self.score[ids[: depth - 1]] + S)
        self.ends = {tuple(encode(phrase)) for phrase in phrases}
        self.word_start = [np.float32(p.startswith("\u2581")) for p in PIECES]

    def step(
        self, state: tuple[tuple[int, ...], np.float32, np.float32], token: int
    ) -> tuple[tuple[int, ...], np.float32, np.float32, np.float32]:
        """:func:`advance`'s arithmetic on the defined walk."""
        at, floor, pending = state
        path = (*at, token)
        to = next(path[i:] for i in range(len(path) + 1) if path[i:] in self.score)
        indirect = np.float32(to != path)
        score = np.float32(self.score[to])
        change = (
            score
            - np.float32(self.score[at])
            + floor * indirect
            - pending * (np.float32(1.0) - self.word_start[token])
        )
        floor = floor * (np.float32(1.0) - indirect)
        pending = score - floor if to in self.ends else np.float32(0.0)
        floor = score if to in self.ends else floor
        if to in self.ends and not any(p[: len(to)] == to != p for p in self.score):
            to, floor = (), np.float32(0.0)
        return to, floor, pending, change


def paths(context: ContextGraph) -> list[tuple[int, ...]]:
    """Each node's tokens from the root (a parent is made before its children)."""
    found: list[tuple[int, ...]] = [()] * context.score.numel()
    keys, nodes = context.child_keys.tolist(), context.child_nodes.tolist()
    for key, node in sorted(zip(keys, nodes, strict=True), key=lambda pair: pair[1]):
        found[node] = (*found[key // context.tokens], key % context.tokens)
    return found


@given(
    phrases=st.lists(st.lists(st.sampled_from(WORDS), min_size=1, max_size=4), min_size=1),
    path=st.lists(st.integers(1, len(PIECES) - 2), max_size=14),
)
def test_the_search_sees_what_the_graph_defines(phrases: list[list[str]], path: list[int]) -> None:
    """Whatever the phrases, along any path of tokens: where :func:`advance` goes and what it
    gives is the defined walk's, to the bit, and the row the beam search adds for every token
    at once (:func:`bonus_row`) is the same."""
    texts = sorted({" ".join(p) for p in phrases})
    context, reference = graph(*texts), Reference(texts)
    node_paths = paths(context)
    state = (0, 0.0, 0.0)
    defined: tuple[tuple[int, ...], np.float32, np.float32] = ((), np.float32(0), np.float32(0))
    for token in [*path, None]:
        row = bonus_row(context, *state).tolist()
        assert row == [float(reference.step(defined, t)[3]) for t in range(len(row))]
        if token is not None:
            node, floor, pending, change = step(context, state, token)
            to, floor32, pending32, change32 = reference.step(defined, token)
            assert node_paths[node] == to
            assert [floor, pending, change] == [float(floor32), float(pending32), float(change32)]
            state, defined = (node, floor, pending), (to, floor32, pending32)


def test_the_graph_grows_with_the_phrases_not_with_the_vocabulary() -> None:
    """300 phrases of a 4,096-piece vocabulary: a few entries a piece (a table of every
    node's every first piece: 1.4 million entries here, 5.5 GB for 3,000 phrases)."""
    rng = random.Random(0)
    phrases = [[rng.randrange(1, 4096) for _ in range(rng.randint(2, 6))] for _ in range(300)]
    pieces = ["<unk>"] + [f"\u2581p{i}" for i in range(1, 4096)] + [""]
    context = build_graph(
        [Hotword(" ".join(map(str, p)), S) for p in phrases],
        lambda text: [int(t) for t in text.split()],
        pieces,
        unknown=0,
    )
    entries = sum(t.numel() for t in context if isinstance(t, torch.Tensor))
    assert entries <= 10 * sum(map(len, phrases)) + 3 * len(pieces), entries


def test_more_pieces_than_the_search_holds_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(context_graph, "MAX_GRAPH_PIECES", 3)
    graph("budget review", "tea")  # three pieces
    with pytest.raises(UserError, match="more than 3 pieces once tokenised, the most"):
        graph("budget review", "tea", "cat")


def test_the_line_end_gives_back_partial_matches_when_choosing_the_text() -> None:
    """At an endpoint the best hypothesis is chosen without what unfinished matches lent it."""
    context = graph("budget review")
    node, floor, pending, _ = step(context, (0, 0.0, 0.0), ID["budget"])
    # The choice reads only tokens, scores and graph places: no predictor output or state.
    lent = Hypothesis([0, ID["budget"]], torch.empty(0), [], -1.0 + S, node, floor, pending)
    plain = Hypothesis([0, ID["the"]], torch.empty(0), [], -0.9, 0, 0.0, 0.0)
    assert finished([lent, plain], context) == [0, ID["the"]]
    assert finished([lent, plain], None) == [0, ID["budget"]]


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


def test_a_hotwords_file_that_never_ends_or_never_comes_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO would wait for a writer forever and /dev/zero fill the memory: neither is read,
    and a regular file only up to the bound."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (fifo, Path(os.devnull)):
        with pytest.raises(UserError, match="the hotwords file is not a regular file"):
            read_hotwords_file(path, S)
    monkeypatch.setattr(hotwords, "MAX_HOTWORDS_FILE_BYTES", 10)
    path = tmp_path / "words.txt"
    path.write_text("konrad\n" * 2)
    with pytest.raises(UserError, match=r"the hotwords file is larger than .*, the most read"):
        read_hotwords_file(path, S)
