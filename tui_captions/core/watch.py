"""Watch-words: the words or phrases a user wants to be told about when they are said."""

from __future__ import annotations

import re
from collections.abc import Iterable


def parse_watch(text: str) -> tuple[str, ...]:
    """``--watch alice,"budget review",deadline`` -> each word or phrase, lower-cased."""
    return tuple(w for w in (" ".join(part.split()).lower() for part in text.split(",")) if w)


def watched(text: str, words: Iterable[str]) -> list[str]:
    """The watch-words ``text`` contains, as whole words (case-insensitive), in order given."""
    spoken = " " + " ".join(_WORD.findall(text.lower())) + " "
    return [word for word in words if f" {word} " in spoken]


_WORD = re.compile(r"[\w']+")
