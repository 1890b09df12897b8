"""The post-processing seam: a final line's readable form, from its words and what came before.

A session runs its processor on each final line as it becomes final, with
that source's previous lines as left context (a sentence runs across lines);
the partial text, redrawn every chunk, only gets the cheap rules. Whatever
the processor does, the words stay the model's: only case and punctuation
change, so the raw text can always be recovered (the journal keeps both).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from tui_captions.core.writing import Writing
from tui_captions.text.punctuation import PunctuationModel, written
from tui_captions.text.rules import pronoun, readable, sentence_case

CONTEXT_WORDS = 40
"""Previous words a line is read with: a sentence or two, a few ms of the model's time."""


@dataclass
class TextContext:
    """What one source said before: its last words, and how its last line was shown."""

    words: deque[str] = field(default_factory=lambda: deque(maxlen=CONTEXT_WORDS))
    last: str = ""

    def add(self, raw: str, shown: str) -> None:
        self.words.extend(raw.lower().split())
        self.last = shown


class TextPostProcessor(Protocol):
    @property
    def name(self) -> str:
        """What the help screen and the session bar call it."""
        ...

    def final(self, text: str, before: TextContext) -> str:
        """A final line as shown: may take a few ms (it runs once a line)."""
        ...

    def partial(self, text: str) -> str:
        """The words still being recognised: cheap (it runs every chunk)."""
        ...


class RuleCaser:
    """Sentence case and "I": what the app did before it had a model, and does without one."""

    name = "rules (no punctuation model)"

    def final(self, text: str, before: TextContext) -> str:
        return readable(text)

    def partial(self, text: str) -> str:
        return readable(text)


class Punctuator:
    """Punctuation and capitals from a model, reading each line after its source's last words.

    A line starts with a capital when the line before it ended a sentence (or
    there was none), so the screen never shows a period followed by a small
    letter, whatever the model now thinks of that boundary.
    """

    def __init__(self, model: PunctuationModel) -> None:
        self._model = model
        self.name = model.name

    def final(self, text: str, before: TextContext) -> str:
        words = text.lower().split()
        if not words:
            return text
        context = list(before.words)
        labels = self._model.labels(context + words)[len(context) :]
        shown = pronoun(" ".join(written(words, labels)))
        if not before.last or before.last[-1] in ".?!":
            shown = shown[:1].upper() + shown[1:]
        return shown

    def partial(self, text: str) -> str:
        return readable(text)


class AsWritten:
    """A model that writes its own punctuation and capitals: its lines are shown as written."""

    name = "the model's own punctuation"

    def final(self, text: str, before: TextContext) -> str:
        return text

    def partial(self, text: str) -> str:
        return text


class SentenceCaser:
    """A language other than English: a capital at each sentence start, and nothing the
    English punctuation models or the English "I" would make of its words."""

    name = "sentence case (not English)"

    def final(self, text: str, before: TextContext) -> str:
        return sentence_case(text)

    def partial(self, text: str) -> str:
        return sentence_case(text)


class Lowered:
    """A model that writes only capitals: its text lower-cased, then what ``post`` does, so
    that rules and punctuation models meet words as they know them."""

    def __init__(self, post: TextPostProcessor) -> None:
        self._post = post
        self.name = post.name

    def final(self, text: str, before: TextContext) -> str:
        return self._post.final(text.lower(), before)

    def partial(self, text: str) -> str:
        return self._post.partial(text.lower())


def for_writing(writing: Writing, english: Callable[[], TextPostProcessor]) -> TextPostProcessor:
    """The text step a model's way of writing leaves to do, decided here once: nothing for a
    model that punctuates, ``english()`` (punctuation, "I") only for English, and lower case
    first for a model that writes capitals only."""
    if writing.punctuated:
        return AsWritten()
    post = english() if writing.english else SentenceCaser()
    return Lowered(post) if writing.upper_case else post
