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
walk itself is :func:`tui_captions.asr.transducer.advance`).

:class:`ContextGraph` is a few tensors: the compiled search takes it on every chunk,
and tensors cross into TorchScript as they are (lists and dicts are copied
element by element: 100 hotwords' worth took longer than the search itself).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from tui_captions.asr.hotwords import Hotword, HotwordError
from tui_captions.asr.tokens import WORD_BOUNDARY


class ContextGraph(NamedTuple):
    """The graph as the search walks it; node 0 is the root (no match).

    From a node, a token leads to the node of the longest match it continues:
    its own child, or one found through failure links. The tokens that lead
    anywhere but the root are listed per node (``reach_*``, node by node, then
    by token), with keys ``node * tokens + token`` in ascending order to look
    them up in one ``searchsorted``.
    """

    tokens: int  # the model's symbols, the blank (last) included
    score: torch.Tensor  # (nodes,) what the match up to the node has earned
    end: torch.Tensor  # (nodes,) bool: a phrase ends here
    leaf: torch.Tensor  # (nodes,) bool: no phrase goes on from here
    word_start: torch.Tensor  # (tokens,) 1.0 where the piece begins a word
    reach_offsets: torch.Tensor  # (nodes + 1,) each node's entries
    reach_keys: torch.Tensor  # (entries,) node * tokens + token
    reach_tokens: torch.Tensor  # (entries,)
    reach_nodes: torch.Tensor  # (entries,) where the token leads
    reach_indirect: torch.Tensor  # (entries,) 1.0 where through a failure link
    root_row: torch.Tensor  # (tokens - 1,) what each token earns from the root


@dataclass
class _Node:
    token: int
    depth: int
    score: float = 0.0
    end: bool = False
    next: dict[int, int] = field(default_factory=dict)
    fail: int = 0


def build_graph(
    hotwords: Sequence[Hotword],
    encode: Callable[[str], list[int]],
    pieces: Sequence[str],
    unknown: int,
) -> ContextGraph:
    """The graph of ``hotwords``, tokenised by ``encode`` (text -> token ids) into the
    model's ``pieces``; a phrase with a piece the model cannot write is a :class:`HotwordError`."""
    nodes = [_Node(token=-1, depth=0)]
    for hotword in hotwords:
        ids: list[int] = list(encode(hotword.phrase))
        if not ids or unknown in ids:
            raise HotwordError(
                f"{hotword.origin}: hotword {hotword.phrase!r}: this model cannot write it "
                "(characters outside its vocabulary); use the words as the captions spell them"
            )
        at = 0
        for token in ids:
            if token not in nodes[at].next:
                nodes[at].next[token] = len(nodes)
                nodes.append(_Node(token=token, depth=nodes[at].depth + 1))
            child = nodes[at].next[token]
            # Shared prefixes earn the most any of their phrases gives.
            nodes[child].score = max(nodes[child].score, nodes[at].score + hotword.score)
            at = child
        nodes[at].end = True
    _link_failures(nodes)
    count = len(pieces)
    entries: list[tuple[int, int, int, float]] = []
    offsets = [0]
    for index in range(len(nodes)):
        for token, (child, direct) in sorted(_reached(nodes, index, count - 1).items()):
            entries.append((index * count + token, token, child, 0.0 if direct else 1.0))
        offsets.append(len(entries))
    score = torch.tensor([n.score for n in nodes])
    root_row = torch.zeros(count - 1)
    for token, child in nodes[0].next.items():
        if token < count - 1:
            root_row[token] = score[child]
    columns = list(zip(*entries, strict=True)) if entries else [(), (), (), ()]
    return ContextGraph(
        tokens=count,
        score=score,
        end=torch.tensor([n.end for n in nodes]),
        leaf=torch.tensor([not n.next for n in nodes]),
        word_start=torch.tensor([1.0 if p.startswith(WORD_BOUNDARY) else 0.0 for p in pieces]),
        reach_offsets=torch.tensor(offsets),
        reach_keys=torch.tensor(columns[0], dtype=torch.long),
        reach_tokens=torch.tensor(columns[1], dtype=torch.long),
        reach_nodes=torch.tensor(columns[2], dtype=torch.long),
        reach_indirect=torch.tensor(columns[3], dtype=torch.float),
        root_row=root_row,
    )


def _reached(nodes: list[_Node], index: int, width: int) -> dict[int, tuple[int, bool]]:
    """token -> (the node it leads to from node ``index``, whether directly), for the tokens
    below ``width`` that lead anywhere but the root: the deepest match wins."""
    found: dict[int, tuple[int, bool]] = {}
    walk = index
    while True:
        for token, child in nodes[walk].next.items():
            if token < width and token not in found:
                found[token] = (child, walk == index)
        if walk == 0:
            return found
        walk = nodes[walk].fail


def _link_failures(nodes: list[_Node]) -> None:
    """Aho-Corasick failure links, breadth first."""
    queue = list(nodes[0].next.values())
    while queue:
        index = queue.pop(0)
        for token, child in nodes[index].next.items():
            fallback = nodes[index].fail
            while token not in nodes[fallback].next and fallback != 0:
                fallback = nodes[fallback].fail
            target = nodes[fallback].next.get(token, 0)
            nodes[child].fail = target if target != child else 0
            queue.append(child)
