"""``captions-tui punctuate [FILE]``: punctuation and capitals for text, one paragraph a line.

Reads text (stdin by default), writes one line out per line in: the same
words, lower-cased and with their old marks taken off, then punctuated and
capitalised by the punctuation model, each paragraph read a window at a time
after the words before it. Binary input is refused in one line.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tui_captions.commands.common import add_punctuation_option, load_post
from tui_captions.errors import UserError

WINDOW_WORDS = 100  # a long paragraph is punctuated this many words at a time
MARKS = ",.?!;:"


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "punctuate",
        help="punctuate and capitalise text (one paragraph a line)",
        description="Write each line of text punctuated and capitalised by the punctuation "
        "model: the same words, only their case and the marks after them change.",
    )
    parser.add_argument("file", nargs="?", type=Path, help="a text file (default: stdin)")
    add_punctuation_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from tui_captions.config import load_settings
    from tui_captions.text.postprocess import TextContext

    where = str(args.file) if args.file else "standard input"
    text = _read_text(args.file, where)
    post = load_post(args.punctuation, load_settings()[0])
    for line in text.splitlines():
        words = [w for w in (word.strip(MARKS) for word in line.split()) if w]
        before = TextContext()
        out = []
        for start in range(0, len(words), WINDOW_WORDS):
            raw = " ".join(words[start : start + WINDOW_WORDS])
            shown = post.final(raw, before)
            before.add(raw, shown)
            out.append(shown)
        sys.stdout.write(" ".join(out) + "\n")
    sys.stdout.flush()
    return 0


def _read_text(path: Path | None, where: str) -> str:
    """The input as text; binary data (NUL bytes, not UTF-8) is refused."""
    try:
        data = path.read_bytes() if path is not None else sys.stdin.buffer.read()
    except OSError as exc:
        raise UserError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    nul = data.find(b"\0")
    try:
        text, bad = data.decode("utf-8"), nul
    except UnicodeDecodeError as exc:
        text, bad = "", exc.start if nul < 0 else min(nul, exc.start)
    if bad >= 0:
        raise UserError(
            f"{where}: not text (binary data at byte {bad}); give UTF-8 text, one paragraph a line"
        )
    return text
