"""Token ids -> text, as torchaudio's sentencepiece token processor does it."""

from __future__ import annotations

from collections.abc import Sequence

import sentencepiece as spm

WORD_BOUNDARY = "\u2581"  # sentencepiece's mark at the start of a word


class Detokenizer:
    """Drops unk/eos/pad ids, joins pieces, turns word-boundary marks into spaces."""

    def __init__(self, tokenizer: spm.SentencePieceProcessor) -> None:
        self._tokenizer = tokenizer
        self._ignored = {tokenizer.unk_id(), tokenizer.eos_id(), tokenizer.pad_id()}

    def __call__(self, token_ids: Sequence[int]) -> str:
        pieces = [self._tokenizer.id_to_piece(i) for i in token_ids if i not in self._ignored]
        return "".join(pieces).replace(WORD_BOUNDARY, " ").strip()
