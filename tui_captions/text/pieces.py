"""Words -> sentencepiece ids from a ``.vocab`` file, as sherpa-onnx's punctuation does it.

The published punctuation model ships a sentencepiece ``bpe.vocab`` (one
``piece<TAB>score`` a line, ``<unk>`` 0, ``<s>`` 1, ``</s>`` 2), not a
``.model`` file, and sherpa-onnx segments each word with its own Viterbi
search over those scores (k2-fsa's simple-sentencepiece): the word gets a
leading ``▁``, every vocabulary piece that starts at a byte is a candidate,
the best-scoring path wins (on a tie, the shorter piece), and a byte that no
piece starts with becomes ``<unk>`` with score 0. The same ids must reach the
model as its authors' runtime sends, so this is that search, on bytes.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

WORD_START = "\u2581"
UNK, BOS, EOS = 0, 1, 2


class VocabError(ValueError):
    """A ``.vocab`` file that is not one."""


class Pieces:
    """The pieces of a ``.vocab`` file and the segmentation of words into them."""

    def __init__(self, pieces: list[str], scores: list[float]) -> None:
        self.pieces = pieces
        self._ids: dict[bytes, int] = {}
        for index, piece in enumerate(pieces):
            self._ids.setdefault(piece.encode(), index)  # the first of duplicates, as sherpa
        self._scores = scores
        self._longest = max((len(p) for p in self._ids), default=1)
        self.unk = pieces.index("<unk>") if "<unk>" in pieces else UNK
        self.encode_word = lru_cache(maxsize=65536)(self._encode_word)

    @classmethod
    def load(cls, path: Path) -> Pieces:
        """Read ``path``; :class:`VocabError` names what is wrong with it."""
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise VocabError(f"{path}: not a text file") from None
        pieces: list[str] = []
        scores: list[float] = []
        for number, line in enumerate(text.splitlines(), 1):
            fields = line.split()
            if len(fields) != 2:
                raise VocabError(f"{path}: line {number} is not 'piece score'")
            try:
                score = float(fields[1])
            except ValueError:
                raise VocabError(f"{path}: line {number} has no score") from None
            if not math.isfinite(score):
                raise VocabError(f"{path}: line {number} has no finite score")
            pieces.append(fields[0])
            scores.append(score)
        if len(pieces) < 4 or pieces[BOS] != "<s>" or pieces[EOS] != "</s>":
            raise VocabError(f"{path}: expected <unk>, <s> and </s> as its first pieces")
        return cls(pieces, scores)

    def _encode_word(self, word: str) -> tuple[int, ...]:
        text = (WORD_START + word).encode()
        size = len(text)
        # best[i]: (score of the best path from byte i to the end, its next byte, piece)
        best: list[tuple[float, int, int]] = [(0.0, 0, 0)] * (size + 1)
        for start in range(size - 1, -1, -1):
            top, end_at, piece = -math.inf, -1, 0
            for end in range(start + 1, min(size, start + self._longest) + 1):
                index = self._ids.get(text[start:end])
                if index is None:
                    continue
                score = self._scores[index] + best[end][0]
                if score > top or (score == top and end_at >= end):
                    top, end_at, piece = score, end, index
            best[start] = (0.0 if top == -math.inf else top, end_at, piece)
        ids: list[int] = []
        at = 0
        while at < size:
            _, end_at, piece = best[at]
            if end_at == -1:
                ids.append(self.unk)
                at += 1
            else:
                ids.append(piece)
                at = end_at
        return tuple(ids)
