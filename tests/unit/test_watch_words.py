"""Watch-words: parsing, whole-word matching, the settings list and the jsonl mark."""

from __future__ import annotations

import io
import json
from pathlib import Path

from tui_captions.config import load_settings, save_settings
from tui_captions.core.segments import Segment
from tui_captions.core.watch import parse_watch, watched
from tui_captions.transcript.formats import open_writer


def test_words_and_phrases_match_whole_words_in_any_case() -> None:
    words = parse_watch("Alice, budget  review ,deadline,")
    assert words == ("alice", "budget review", "deadline")
    assert watched("I think ALICE said: the budget review, by the deadline!", words) == list(words)
    assert watched("alicetown has a budget", words) == []


def test_the_settings_list_is_read_checked_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('watch = ["Alice", "budget review"]\nwatch_bell = false\n')
    settings, problems = load_settings(path)
    assert problems == ()
    assert settings.watch == ("alice", "budget review") and settings.watch_bell is False
    assert settings.watch_words(None) == ("alice", "budget review")
    assert settings.watch_words("bob") == ("bob",)  # the option wins
    assert save_settings(settings, path) is None
    assert load_settings(path)[0] == settings
    path.write_text("watch = 'alice'\n")
    (warning,) = load_settings(path)[1]
    assert "'watch' ignored: must be a list of words" in warning


def test_jsonl_marks_the_lines_that_say_a_watch_word() -> None:
    out = io.StringIO()
    writer = open_writer("jsonl", out, ("friday",))
    writer.write(Segment(0, 0.0, 1.0, "see you on friday"))
    writer.write(Segment(1, 1.0, 2.0, "see you"))
    first, second = map(json.loads, out.getvalue().splitlines())
    assert first["watch"] == ["friday"] and "watch" not in second
