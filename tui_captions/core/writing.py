"""How a recognizer writes its text: what the text seam must still do to its lines.

The engines say it (``AsrModel.writing``) and the post-processing seam
(``text/catalog.py``) reads it, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass

ENGLISH = "en"


@dataclass(frozen=True)
class Writing:
    """A model's text: its language ("" when not known), whether it writes its own
    punctuation and capitals, and whether it writes only capitals (LibriSpeech's zipformers)."""

    language: str = ENGLISH
    punctuated: bool = False
    upper_case: bool = False

    @property
    def english(self) -> bool:
        """English rules (the punctuation models, a capital "I") apply only to English."""
        return self.language.split("-")[0].lower() == ENGLISH
