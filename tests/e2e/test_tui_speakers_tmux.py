"""Speaker labels as a person sees them: the installed ``captions-tui`` in a real terminal
(tmux) on a two-voice conversation, a speaker named through ``L``, the journal after ``q``."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.conftest import settings_home
from tests.speaker_audio import TINY_SPEAKERS, two_voice_talk
from tests.terminal import Terminal
from tui_captions.transcript.journal import read_journal

TINY_MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-emformer"

pytestmark = pytest.mark.slow


def captioned(speaker: str, screen: str) -> bool:
    """A caption line of ``speaker`` on ``screen``: the name, then what was said."""
    return re.search(rf"{speaker}: \w", screen) is not None


def test_both_speakers_are_labelled_and_one_is_renamed_on_screen_and_in_the_journal(
    tmp_path: Path, terminal: Terminal
) -> None:
    command = Path(sys.executable).parent / "captions-tui"
    assert command.is_file(), "captions-tui is not installed in this environment"
    _, talk = two_voice_talk(tmp_path, seconds=20.0)
    env = {
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": settings_home(tmp_path / "config"),
        "TERM": "xterm-256color",
    }
    terminal.start(
        [
            str(command), "--input", str(talk), "--input-speed", "3", "--model", str(TINY_MODEL),
            "--speakers", "--speaker-model", str(TINY_SPEAKERS),
        ],
        env,
    )  # fmt: skip
    terminal.wait_for(
        lambda s: captioned("Speaker 1", s) and captioned("Speaker 2", s), "both speakers", 60
    )
    terminal.tmux("send-keys", "-t", "app", "L")
    terminal.wait_for(lambda s: "Name a speaker" in s, "the rename dialog", 30)
    terminal.tmux("send-keys", "-t", "app", "Rosa", "Enter")  # the dialog offers Speaker 1 first
    terminal.wait_for(
        lambda s: captioned("Rosa", s) and "Speaker 1" not in s and captioned("Speaker 2", s),
        "Speaker 1's lines under the new name",
        30,
    )
    terminal.tmux("send-keys", "-t", "app", "q")
    terminal.wait_for(lambda s: "EXIT=0" in s, "a clean exit", 30)
    (journal,) = (tmp_path / "data" / "captions-tui" / "sessions").glob("*.jsonl")
    speakers = {line.speaker for line in read_journal(journal).segments}
    assert {"Rosa", "Speaker 2"} <= speakers <= {"Rosa", "Speaker 2", ""}  # "": cut off by q
