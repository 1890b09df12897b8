"""``captions-tui punctuate [FILE]``: punctuation and capitals for text, one paragraph a line.

Reads text (stdin by default, at most 16 MiB), writes one line out per line in
(a line ends at a newline, nothing else): the same words, lower-cased and with
their old marks taken off, then punctuated and capitalised by the punctuation
model, each paragraph read a window at a time after the words before it.
Binary input, a pipe or device named as FILE (a FIFO waits for a writer
forever, /dev/zero never ends) and more text than the bound are refused in one
line.
"""

from __future__ import annotations

import argparse
import stat
import sys
from pathlib import Path
from typing import Any

from tui_captions.commands.options import add_punctuation_option
from tui_captions.commands.setup import load_post
from tui_captions.errors import UserError

WINDOW_WORDS = 100  # a long paragraph is punctuated this many words at a time
MARKS = ",.?!;:"
MAX_INPUT_BYTES = 16 << 20  # about 2.7 million words: hours of the punctuation model's time


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
    lines = text.split("\n")  # only a newline ends a line: one line out for each
    if lines[-1] == "":  # the newline that ends the last line starts no other
        lines.pop()
    for line in lines:
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
    """The input as text; binary data (NUL bytes, not UTF-8), a FILE that is a pipe or a
    device and more than :data:`MAX_INPUT_BYTES` are refused."""
    try:
        if path is None:
            data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        elif stat.S_ISREG(path.stat().st_mode):
            with path.open("rb") as file:
                data = file.read(MAX_INPUT_BYTES + 1)
        else:
            raise UserError(
                f"{where}: not a regular file (a pipe or a device); give a text file, or "
                "send the text to standard input"
            )
    except OSError as exc:
        raise UserError(f"{where}: cannot be read ({exc.strerror or exc})") from None
    if len(data) > MAX_INPUT_BYTES and b"\0" not in data:  # NUL bytes: binary, said below
        raise UserError(
            f"{where}: more than {MAX_INPUT_BYTES >> 20} MiB of text, the most punctuate reads; "
            "split it into smaller parts"
        )
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
