"""`punctuate`'s input: one line out for each line in, whatever else the text holds; input that
never ends or never comes is one line, not a hang or all the memory."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from tui_captions.cli import build_parser
from tui_captions.commands import punctuate as command
from tui_captions.errors import UserError
from tui_captions.text.names import NO_MODEL


def punctuate(*args: str) -> int:
    parsed = build_parser().parse_args(["punctuate", *args, "--punctuation", NO_MODEL])
    return int(parsed.handler(parsed))


def test_only_a_newline_ends_a_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Form feed, the separators \\x1c-\\x1e, U+2028 and a lone CR are inside a line (as in
    ``wc -l`` and every line-by-line tool), so the output lines match the input's."""
    path = tmp_path / "notes.txt"
    path.write_bytes("one\ftwo\x1cthree\u2028four\rfive\r\nsix\n\nseven".encode())
    assert punctuate(str(path)) == 0
    out = capsys.readouterr().out
    assert [line.lower().split() for line in out.split("\n")] == [
        ["one", "two", "three", "four", "five"],
        ["six"],
        [],
        ["seven"],
        [],  # after the last line's newline
    ]


def test_a_pipe_or_a_device_named_as_the_file_is_one_line(tmp_path: Path) -> None:
    """A FIFO would wait for a writer forever, /dev/zero never ends: neither is read."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (str(fifo), os.devnull):
        with pytest.raises(UserError, match=f"^{path}: not a regular file .*standard input$"):
            punctuate(path)


def test_standard_input_is_read_up_to_a_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    """Endless text (``yes |``) stops at the bound; endless zeros are binary at byte 0."""
    monkeypatch.setattr(command, "MAX_INPUT_BYTES", 1000)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"y\n" * 501)))
    with pytest.raises(UserError, match=r"standard input: more than .* the most punctuate reads"):
        punctuate()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(bytes(1001))))
    with pytest.raises(UserError, match=r"standard input: not text \(binary data at byte 0\)"):
        punctuate()
