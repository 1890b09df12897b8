"""Known answers for audio-visual captions: the tiny AV model, trained here on talking faces,
through `captions-tui transcribe` as a user runs it. The lips must carry words: with the sound
drowned in noise the video lowers the error rate, and with no sound at all some words are
still read. (The figures on more sentences: `python -m bench.av_noise`.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.terminal import Terminal
from tools.tiny_av.clips import clip, clip_wer, talking_sentences
from tools.tiny_av.train import HELD_OUT, HELD_OUT_SEED
from tools.tiny_model.data import Utterance, make_utterances

MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-av"
SENTENCES = 6

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def held_out() -> list[Utterance]:
    return make_utterances(HELD_OUT, HELD_OUT_SEED)[-SENTENCES:]


@pytest.fixture(scope="module")
def talking(held_out: list[Utterance]) -> tuple[np.ndarray, list[np.ndarray]]:
    return talking_sentences(held_out, seed=HELD_OUT_SEED + 1)


def written(path: Path, *options: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "tui_captions.cli", "transcribe", str(path),
         "--model", str(MODEL), "--raw", *options],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return " ".join(result.stdout.lower().split())


def test_clean_speech_is_captioned(
    held_out: list[Utterance], talking: tuple[np.ndarray, list[np.ndarray]], tmp_path: Path
) -> None:
    sound, frames = talking
    assert clip_wer(held_out, written(clip(tmp_path / "clean.mp4", sound, frames, None))) <= 0.3


def test_in_noise_the_lips_lower_the_error_rate(
    held_out: list[Utterance], talking: tuple[np.ndarray, list[np.ndarray]], tmp_path: Path
) -> None:
    sound, frames = talking
    noisy = clip(tmp_path / "noisy.mp4", sound, frames, 0.0)
    seen, blind = (clip_wer(held_out, written(noisy, *o)) for o in ((), ("--video", "off")))
    assert seen < 0.85 * blind, (seen, blind)


def test_the_lips_alone_carry_words(
    held_out: list[Utterance], talking: tuple[np.ndarray, list[np.ndarray]], tmp_path: Path
) -> None:
    sound, frames = talking
    silent = clip(tmp_path / "silent.mp4", sound, frames, -np.inf)
    assert clip_wer(held_out, written(silent)) < 0.9
    assert written(silent, "--video", "off") == ""  # no sound, no face: no words


def test_the_demo_shows_the_talking_face(tmp_path: Path, terminal: Terminal) -> None:
    app = str(Path(sys.executable).parent / "captions-tui")
    terminal.start(
        [app, "demo", "--av"],
        {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
         "TERM": "xterm-256color"},
    )  # fmt: skip
    terminal.wait_for(lambda s: "faces 3" in s and "Camera" in s, "the camera pane", 60)
    terminal.wait_for(lambda s: "father" in s.lower(), "the demo's words", 60)
    terminal.tmux("send-keys", "-t", "app", "q")
    terminal.wait_for(lambda s: "EXIT=0" in s, "a clean exit", 30)
