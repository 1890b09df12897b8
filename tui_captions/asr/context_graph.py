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

:class:`ContextGraph` is plain lists, a dict and a tensor, so TorchScript can type it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import torch

from tui_captions.asr.hotwords import Hotword, HotwordError
from tui_captions.asr.tokens import WORD_BOUNDARY


class ContextGraph(NamedTuple):
    """The graph in the form the search uses; node 0 is the root (no match)."""

    goto: dict[int, int]  # node * tokens + token -> child node
    children: list[list[int]]  # the tokens with a child, per node
    fail: list[int]  # the longest proper suffix of the node's match that is a node
    score: list[float]  # what the match up to the node has earned
    end: list[bool]  # a phrase ends here
    leaf: list[bool]  # no phrase goes on from here
    word_start: torch.Tensor  # (tokens,) 1.0 where the piece begins a word
    tokens: int


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
                f"hotword {hotword.phrase!r}: this model cannot write it (characters outside "
                "its vocabulary); use the words as the captions spell them"
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
    starts = torch.tensor([1.0 if p.startswith(WORD_BOUNDARY) else 0.0 for p in pieces])
    return ContextGraph(
        goto={index * count + t: c for index, n in enumerate(nodes) for t, c in n.next.items()},
        children=[sorted(n.next) for n in nodes],
        fail=[n.fail for n in nodes],
        score=[n.score for n in nodes],
        end=[n.end for n in nodes],
        leaf=[not n.next for n in nodes],
        word_start=starts,
        tokens=count,
    )


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
