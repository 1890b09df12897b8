"""Token ids -> text, as torchaudio's sentencepiece token processor does it; and what a
model's vocabulary says about how it writes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sentencepiece as spm

from tui_captions.core.writing import ENGLISH, Writing

WORD_BOUNDARY = "\u2581"  # sentencepiece's mark at the start of a word
SENTENCE_MARKS = frozenset(".?!,\u3002\uff1f\uff01\uff0c")  # and the CJK full-width ones


class Detokenizer:
    """Drops unk/eos/pad ids, joins pieces, turns word-boundary marks into spaces."""

    def __init__(self, tokenizer: spm.SentencePieceProcessor) -> None:
        self._tokenizer = tokenizer
        self._ignored = {tokenizer.unk_id(), tokenizer.eos_id(), tokenizer.pad_id()}

    def __call__(self, token_ids: Sequence[int]) -> str:
        pieces = [self._tokenizer.id_to_piece(i) for i in token_ids if i not in self._ignored]
        return "".join(pieces).replace(WORD_BOUNDARY, " ").strip()


def writing_of(pieces: Iterable[str], language: str | None = None) -> Writing:
    """How a model with these output pieces writes (control pieces such as ``<blk>`` aside):
    only capitals when it has no small letter; its own punctuation when it has sentence marks
    and is not all capitals; English, unless ``language`` says, when every letter is ASCII
    (the French, German or Russian models' letters are not)."""
    text = "".join(p for p in pieces if not (p.startswith("<") and p.endswith(">")))
    letters = [c for c in text if c.isalpha() and c != WORD_BOUNDARY]
    upper_case = any(c.isupper() for c in letters) and not any(c.islower() for c in letters)
    punctuated = not upper_case and any(c in SENTENCE_MARKS for c in text)
    if language is None:
        language = ENGLISH if letters and all(c.isascii() for c in letters) else ""
    return Writing(language, punctuated, upper_case)
