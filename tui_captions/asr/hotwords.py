"""Hotwords: the phrases the RNN-T search should prefer, as the user gives them.

Parsing only (options, settings, files), importable without torch; the
search's graph of them is :mod:`tui_captions.asr.context_graph`.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass, field
from pathlib import Path

from tui_captions.errors import UserError


class HotwordError(UserError):
    """Hotwords that cannot be used: the app goes on without them, a command stops."""


DEFAULT_HOTWORD_SCORE = 1.5
"""Log-probability added per token of a hotword: enough to carry a word the model heard
but ranked a little lower, not enough to write it where nothing like it was said."""


MAX_HOTWORDS_FILE_BYTES = 16 << 20
"""A hotwords file is read up to this size (16 MiB: a million short phrases, more than the
search holds), so that a huge or endless file cannot take all the memory."""


@dataclass(frozen=True)
class Hotword:
    phrase: str
    score: float
    origin: str = field(default="--hotwords", compare=False)  # where it was given: for errors


def parse_hotwords(text: str, score: float, where: str = "--hotwords") -> list[Hotword]:
    """``"Alice,budget review :2.5"`` -> each phrase (lower case) with its score; ``where``
    (the option, or the settings file and key) is what errors name."""
    return [word for part in text.split(",") if (word := _hotword(part, score, where))]


def read_hotwords_file(path: Path, score: float) -> list[Hotword]:
    """One phrase a line, ``phrase :score`` to give it its own; blank lines and # comments
    are skipped. An unreadable, empty or too large file is a :class:`HotwordError`, and so
    is a pipe or a device (a FIFO waits for a writer forever, /dev/zero never ends)."""
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            raise HotwordError(
                f"{path}: the hotwords file is not a regular file (a pipe or a device); "
                "give a text file, one phrase a line"
            )
        with path.open("rb") as file:
            data = file.read(MAX_HOTWORDS_FILE_BYTES + 1)
        if len(data) > MAX_HOTWORDS_FILE_BYTES:
            raise HotwordError(
                f"{path}: the hotwords file is larger than {MAX_HOTWORDS_FILE_BYTES >> 20} MiB, "
                "the most read; give the phrases you need"
            )
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise HotwordError(f"{path}: the hotwords file cannot be read ({reason})") from None
    words = [
        word
        for number, line in enumerate(text.splitlines(), 1)
        if not line.lstrip().startswith("#")
        and (word := _hotword(line, score, f"{path}, line {number}"))
    ]
    if not words:
        raise HotwordError(f"{path}: the hotwords file has no phrase (one phrase a line)")
    return words


def _hotword(text: str, default: float, where: str) -> Hotword | None:
    phrase, _, given = text.rpartition(" :") if " :" in text else (text, "", "")
    phrase = " ".join(phrase.lower().split())
    if not phrase:
        return None
    try:
        score = float(given) if given else default
    except ValueError:
        raise HotwordError(
            f"{where}: {given!r} after ' :' is not a score (e.g. 'budget review :2')"
        ) from None
    if not 0 < score <= 20:
        raise HotwordError(f"{where}: the score of {phrase!r} must be above 0 and at most 20")
    return Hotword(phrase, score, where)
