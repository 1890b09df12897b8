"""Readability without a model: sentence case and a capital "I".

The recognisers write lower case without punctuation. Two simple rules make
the text easier to read without guessing at grammar: the first letter of each
line (and of each sentence, if the text has end marks) is capitalised, and so
is the standalone pronoun "i" with its contractions ("i'm" -> "I'm"). Letters
are only ever raised, so any case a model does produce is kept. The partial
text always gets these; final lines get them when no punctuation model runs.
"""

from __future__ import annotations

import re

# "i" as a whole word: not inside a word or a contraction ("it's", "ain't"),
# not part of an abbreviation like "i.e."; "i'm", "i'd", "i'll", "i've" match.
_PRONOUN = re.compile(r"(?<![\w'\u2019-])i(?![\w-]|\.\w)")
# The first letter of the text or after a sentence end mark and space.
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)[^\w]*?([^\W\d_])")


def readable(text: str) -> str:
    """Sentence case and "I"."""
    return sentence_case(pronoun(text))


def sentence_case(text: str) -> str:
    """A capital at the start of the text and of each sentence: true of any language."""
    return _SENTENCE_START.sub(lambda m: m.group(0)[:-1] + m.group(1).upper(), text)


def pronoun(text: str) -> str:
    """The pronoun "i" (and "i'm", "i'll"...) as "I"."""
    return _PRONOUN.sub("I", text)
