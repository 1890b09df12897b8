"""The installed ``captions-tui`` in a real terminal (tmux) on the PulseAudio monitor.

espeak-ng speech is played into a null sink while the app captions the
sink's monitor; the screen is read back with ``tmux capture-pane``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import settings_home
from tests.pulse import NullSink
from tests.terminal import Terminal

TINY_MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-emformer"
SENTENCE = "the old man and the young woman walk near the river"
WORDS = set(SENTENCE.split())
MIN_WORDS = 5  # of the 9 different words: the tiny model's errors leave room

pytestmark = pytest.mark.slow


def test_installed_app_captions_the_monitor_in_a_terminal(
    tmp_path: Path, terminal: Terminal, null_sink: NullSink
) -> None:
    if not (TINY_MODEL / "config.json").is_file():
        pytest.skip("the tiny trained model (tests/fixtures/tiny-emformer) is not there yet")
    command = Path(sys.executable).parent / "captions-tui"
    assert command.is_file(), "captions-tui is not installed in this environment"
    speech = tmp_path / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(speech), f"{SENTENCE} [[_:_:_:_:]]"], check=True)
    env = {
        "PULSE_SERVER": os.environ["PULSE_SERVER"],
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": settings_home(tmp_path / "config"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "TERM": "xterm-256color",
    }
    terminal.start([str(command), "--device", null_sink.monitor, "--model", str(TINY_MODEL)], env)
    terminal.wait_for(lambda s: "● live" in s, "live source", 60)
    player = null_sink.play(speech)
    terminal.wait_for(
        lambda s: len(WORDS & set(s.lower().split())) >= MIN_WORDS, "captions of the speech", 60
    )
    player.wait(30)
    screen = terminal.screen()
    assert "p50" in screen and " ms" in screen and "RTF" in screen
    assert null_sink.monitor in screen  # the session bar names the source
    terminal.tmux("send-keys", "-t", "app", "q")
    terminal.wait_for(lambda s: "EXIT=0" in s, "a clean exit", 30)
    assert "Transcript saved:" in terminal.screen(history=100)
    journals = list((tmp_path / "data" / "captions-tui" / "sessions").glob("*.jsonl"))
    assert len(journals) == 1
