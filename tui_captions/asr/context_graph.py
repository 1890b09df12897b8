"""The hotwords' context graph over a model's pieces, in the form the compiled search reads.

Each phrase is tokenised as the model would write it (lower case, its
sentencepiece pieces) and the phrases make an Aho-Corasick graph: a
hypothesis walks it token by token and earns the phrase's score for each
token that continues a match. A match that falls off gives back what it had
earned (keeping what a shorter match inside it earns); a complete match is
kept, but only once the next token starts a new word or the line ends, so a
phrase that is only the start of a longer word ("tea" in "teach") earns
nothing there. Nothing is retrained: the bonus shifts which hypotheses the
beam keeps (the scheme of icefall's and sherpa-onnx's context graphs; the
walk itself is :func:`advance`, which the search calls).

:class:`ContextGraph` is a few tensors: the compiled search takes it on every chunk,
and tensors cross into TorchScript as they are (lists and dicts are copied
element by element: 100 hotwords' worth took longer than the search itself).
It keeps each phrase's own pieces and failure links, nothing per node and
vocabulary piece: a token a node has no child for follows the failure links
at search time (at most as many as the node is deep), so 100,000 phrases are
a few hundred thousand entries, not one per node and piece (a table of every
node's every transition took 21.6 GB for them).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import NamedTuple

import torch

from tui_captions.asr.hotwords import Hotword, HotwordError
from tui_captions.asr.tokens import WORD_BOUNDARY

MAX_GRAPH_PIECES = 1_000_000
"""The most pieces (graph nodes) the hotwords may make once tokenised (about 300,000 phrases
of two to four words on the tiny model): some 50 MB of tensors for the search; building
them takes about 350 MB and 10 s of one core (``python -m bench.hotwords --build``)."""


class ContextGraph(NamedTuple):
    """The graph as the search walks it; node 0 is the root (no match).

    A node's children are listed node by node, then by token, with keys
    ``node * tokens + token`` in ascending order to look them up in one
    ``searchsorted``. From a node, a token leads to the node of the longest
    match it continues: its own child, else what it leads to from the node's
    failure link (the longest match that is a suffix of the node's), else the
    root.
    """

    tokens: int  # the model's symbols, the blank (last) included
    score: torch.Tensor  # (nodes,) what the match up to the node has earned
    end: torch.Tensor  # (nodes,) bool: a phrase ends here
    leaf: torch.Tensor  # (nodes,) bool: no phrase goes on from here
    fail: torch.Tensor  # (nodes,) the node's failure link (the root's: itself)
    word_start: torch.Tensor  # (tokens,) 1.0 where the piece begins a word
    child_offsets: torch.Tensor  # (nodes + 1,) each node's children
    child_keys: torch.Tensor  # (children,) node * tokens + token
    child_tokens: torch.Tensor  # (children,)
    child_nodes: torch.Tensor  # (children,)
    root_row: torch.Tensor  # (tokens - 1,) what each token earns from the root


def build_graph(
    hotwords: Sequence[Hotword],
    encode: Callable[[str], list[int]],
    pieces: Sequence[str],
    unknown: int,
) -> ContextGraph:
    """The graph of ``hotwords``, tokenised by ``encode`` (text -> token ids) into the
    model's ``pieces``; a phrase with a piece the model cannot write, or more pieces in
    all than :data:`MAX_GRAPH_PIECES`, is a :class:`HotwordError`."""
    count = len(pieces)
    children: dict[int, int] = {}  # node * count + token -> child
    scores = [0.0]
    ends = [False]
    for hotword in hotwords:
        ids: list[int] = list(encode(hotword.phrase))
        if not ids or unknown in ids or max(ids) >= count - 1:  # the last is the blank
            raise HotwordError(
                f"{hotword.origin}: hotword {hotword.phrase!r}: this model cannot write it "
                "(characters outside its vocabulary); use the words as the captions spell them"
            )
        at = 0
        for token in ids:
            child = children.setdefault(at * count + token, len(scores))
            if child == len(scores):
                if child > MAX_GRAPH_PIECES:
                    raise HotwordError(
                        f"the hotwords make more than {MAX_GRAPH_PIECES:,} pieces once "
                        f"tokenised, the most the search holds (at {hotword.phrase!r}); "
                        "give fewer or shorter phrases"
                    )
                scores.append(0.0)
                ends.append(False)
            # Shared prefixes earn the most any of their phrases gives.
            scores[child] = max(scores[child], scores[at] + hotword.score)
            at = child
        ends[at] = True
    keys, order = torch.tensor(list(children), dtype=torch.long).sort()
    nodes = torch.tensor(list(children.values()), dtype=torch.long)[order]
    offsets = torch.searchsorted(keys, torch.arange(len(scores) + 1) * count)
    score = torch.tensor(scores)
    tokens = keys % count
    root_children = slice(0, int(offsets[1]))
    wanted = tokens[root_children] < count - 1
    root_row = torch.zeros(count - 1)
    root_row[tokens[root_children][wanted]] = score[nodes[root_children][wanted]]
    return ContextGraph(
        tokens=count,
        score=score,
        end=torch.tensor(ends),
        leaf=offsets[1:] == offsets[:-1],
        fail=torch.tensor(
            _failure_links(children, count, offsets.tolist(), keys.tolist(), nodes.tolist())
        ),
        word_start=torch.tensor([1.0 if p.startswith(WORD_BOUNDARY) else 0.0 for p in pieces]),
        child_offsets=offsets,
        child_keys=keys,
        child_tokens=tokens,
        child_nodes=nodes,
        root_row=root_row,
    )


def _failure_links(
    children: dict[int, int], count: int, offsets: list[int], keys: list[int], nodes: list[int]
) -> list[int]:
    """Aho-Corasick failure links, breadth first: linear in the phrases' pieces (a node's
    children are ``keys[offsets[node]:offsets[node + 1]]``)."""
    fail = [0] * (len(offsets) - 1)
    queue = deque(nodes[offsets[0] : offsets[1]])  # the root's children fail to the root
    while queue:
        parent = queue.popleft()
        for index in range(offsets[parent], offsets[parent + 1]):
            token = keys[index] % count
            fallback = fail[parent]
            target = children.get(fallback * count + token)
            while target is None and fallback != 0:
                fallback = fail[fallback]
                target = children.get(fallback * count + token)
            fail[nodes[index]] = 0 if target is None else target
            queue.append(nodes[index])
    return fail


def advanced(
    context: ContextGraph,
    nodes: list[int],
    floors: list[float],
    pendings: list[float],
    tokens: list[int],
) -> tuple[list[int], list[float], list[float]]:
    """:func:`advance` for the search's plain lists."""
    moved = advance(
        context,
        torch.tensor(nodes),
        torch.tensor(floors),
        torch.tensor(pendings),
        torch.tensor(tokens),
    )
    new_nodes: list[int] = moved[0].tolist()
    new_floors: list[float] = moved[1].tolist()
    new_pendings: list[float] = moved[2].tolist()
    return new_nodes, new_floors, new_pendings


def at_root(node: int, floor: float, pending: float) -> bool:
    """Inside no match and owing nothing: every next token earns the root's row."""
    return node == 0 and floor == 0.0 and pending == 0.0


def bonus_row(context: ContextGraph, node: int, floor: float, pending: float) -> torch.Tensor:
    """``(tokens - 1,)``: what :func:`advance` would give each next token, all at once."""
    if at_root(node, floor, pending):
        return context.root_row
    # A token that leads back to the root gives back the unconfirmed match...
    row = torch.full([context.tokens - 1], floor - float(context.score[node]))
    # ...one that goes on earns its node's score (keeping the floor only if the match went
    # on through a failure link): the node's failure chain, the root first, so that the
    # longest match a token continues is written last...
    chain: list[int] = [node]
    while chain[-1] != 0:
        chain.append(int(context.fail[chain[-1]]))
    for walk in chain[::-1]:
        first, last = int(context.child_offsets[walk]), int(context.child_offsets[walk + 1])
        kept = floor if walk != node else 0.0
        row[context.child_tokens[first:last]] = (
            context.score[context.child_nodes[first:last]] - context.score[node] + kept
        )
    # ...and one inside a word takes back the bonus of a phrase just completed.
    if pending != 0.0:
        row = row - pending * (1.0 - context.word_start[:-1])
    return row


def _children(
    context: ContextGraph, nodes: torch.Tensor, tokens: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Each node's child for its token (the root where it has none), and whether it has one."""
    keys = nodes * context.tokens + tokens
    found = torch.searchsorted(context.child_keys, keys).clamp(max=context.child_keys.numel() - 1)
    has = context.child_keys[found] == keys
    return torch.where(has, context.child_nodes[found], torch.zeros_like(nodes)), has


def _targets(
    context: ContextGraph, nodes: torch.Tensor, tokens: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Where each token leads from its node (the longest match it continues, else the root),
    and whether through a failure link (or back to the root): 1.0, else 0.0."""
    children, direct = _children(context, nodes, tokens)
    missed = ~direct & (nodes != 0)
    walk = nodes
    while bool(missed.any()):  # each link is shallower: at most as many rounds as the node's depth
        walk = torch.where(missed, context.fail[walk], walk)
        found, has = _children(context, walk, tokens)
        children = torch.where(missed & has, found, children)
        missed = missed & ~has & (walk != 0)
    indirect = torch.where(direct, torch.zeros(nodes.shape), torch.ones(nodes.shape))
    return children, indirect


def advance(
    context: ContextGraph,
    nodes: torch.Tensor,
    floors: torch.Tensor,
    pendings: torch.Tensor,
    tokens: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Hypotheses' places in the hotword graph (node, floor, pending) after one more token
    each, and what the token earns or gives back; one tensor entry per hypothesis."""
    children, indirect = _targets(context, nodes, tokens)
    # A completed phrase's bonus is taken back if the token does not start a new word; a
    # match that falls off (or goes on through a failure link) gives back all but the floor.
    change = (
        context.score[children]
        - context.score[nodes]
        + floors * indirect
        - pendings * (1.0 - context.word_start[tokens])
    )
    floors = floors * (1.0 - indirect)
    ends = context.end[children]
    pendings = torch.where(ends, context.score[children] - floors, torch.zeros_like(floors))
    floors = torch.where(ends, context.score[children], floors)
    leaves = ends & context.leaf[children]
    children = torch.where(leaves, torch.zeros_like(children), children)
    floors = torch.where(leaves, torch.zeros_like(floors), floors)
    return children, floors, pendings, change
