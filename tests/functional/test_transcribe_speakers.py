"""`transcribe --speakers` and `live --speakers`: each line of a two-voice file carries who
said it (live: when it is shown, or in a later ``speaker`` event)."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.cli import run_cli
from tests.speaker_audio import TINY_SPEAKERS, two_voice_talk
from tools.tiny_speakers.conversations import Conversation

TINY_EMFORMER = Path(__file__).parents[1] / "fixtures" / "tiny-emformer"


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory: pytest.TempPathFactory) -> tuple[Conversation, Path]:
    return two_voice_talk(tmp_path_factory.mktemp("speakers"), seconds=30.0)


def transcribe(capfd: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    done = run_cli(capfd, "transcribe", *args)
    return done.returncode, done.stdout, done.stderr


def test_each_line_carries_the_speaker_of_its_voice(
    capfd: pytest.CaptureFixture[str], two_voices: tuple[Conversation, Path]
) -> None:
    talk, path = two_voices
    status, out, err = transcribe(
        capfd, path, "--model", TINY_EMFORMER, "--format", "jsonl", "--raw",
        "--speakers", "--speaker-model", TINY_SPEAKERS,
    )  # fmt: skip
    assert (status, err) == (0, "")
    lines = [json.loads(line) for line in out.splitlines()]
    assert_each_voice_has_its_label(talk, lines)


def assert_each_voice_has_its_label(talk: Conversation, lines: list[dict[str, Any]]) -> None:
    """Each voice's most frequent label is its own, and holds most of its lines."""
    assert len(lines) >= len(talk.turns)
    pairs = []
    for line in lines:
        middle = (line["start"] + line["end"]) / 2
        (turn,) = [t for t in talk.turns if t.start - 0.3 <= middle <= t.end + 0.3]
        pairs.append((turn.speaker, str(line.get("speaker"))))
    majority = {
        voice: Counter(label for v, label in pairs if v == voice).most_common(1)[0][0]
        for voice in {v for v, _ in pairs}
    }
    assert sorted(majority.values()) == ["Speaker 1", "Speaker 2"], pairs
    agreeing = sum(label == majority[voice] for voice, label in pairs)
    assert agreeing >= 0.8 * len(pairs), pairs


@pytest.fixture
def live(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``live`` on a file played 4 times as fast as real time, journaled in ``tmp_path``."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))

    def run(audio: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
        command: list[str | Path] = ["live", "--input", audio, "--input-speed", "4"]
        command += ["--model", TINY_EMFORMER]
        return run_cli(capfd, *command, *args)

    return run


def test_live_lines_carry_their_speaker_when_shown_or_in_a_later_event(
    live: Callable[..., subprocess.CompletedProcess[str]], two_voices: tuple[Conversation, Path]
) -> None:
    talk, path = two_voices
    result = live(
        path, "--format", "jsonl", "--raw", "--speakers", "--speaker-model", TINY_SPEAKERS
    )
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr.replace("punctuation: ", ""), result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    lines = {(e["start"], e["end"]): e for e in events if e["type"] == "final"}
    for update in (e for e in events if e["type"] == "speaker"):
        lines[update["start"], update["end"]]["speaker"] = update["speaker"]  # a shown line's
    assert_each_voice_has_its_label(talk, list(lines.values()))


def test_live_with_a_damaged_speaker_model_warns_once_and_captions_without_labels(
    live: Callable[..., subprocess.CompletedProcess[str]], tmp_path: Path, speech_wav: Path
) -> None:
    damaged = tmp_path / "speaker.onnx"
    damaged.write_bytes(TINY_SPEAKERS.read_bytes()[:1000])
    result = live(speech_wav, "--speakers", "--speaker-model", damaged)
    assert result.returncode == 0, result.stderr
    (warning,) = [line for line in result.stderr.splitlines() if "speaker.onnx" in line]
    assert warning.endswith("captions go on without speaker labels")
    assert result.stdout.strip() and "Speaker" not in result.stdout


def test_speakers_with_no_speaker_model_downloaded_is_one_line_saying_what_to_pass(
    capfd: pytest.CaptureFixture[str],
    two_voices: tuple[Conversation, Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no model downloaded
    _, path = two_voices
    status, out, err = transcribe(capfd, path, "--model", TINY_EMFORMER, "--speakers")
    assert (status, out) == (2, "")
    assert err.startswith(
        "captions-tui: error: --speakers needs a speaker model: --speaker-model "
        "campplus-voxceleb or resnet34-voxceleb (downloaded once), or --speaker-model PATH"
    )
    assert len(err.strip().splitlines()) == 1


def test_a_damaged_speaker_model_is_one_line_before_anything_is_transcribed(
    capfd: pytest.CaptureFixture[str], two_voices: tuple[Conversation, Path], tmp_path: Path
) -> None:
    _, path = two_voices
    damaged = tmp_path / "speaker.onnx"
    damaged.write_bytes(TINY_SPEAKERS.read_bytes()[:1000])
    status, out, err = transcribe(
        capfd, path, "--model", TINY_EMFORMER, "--speakers", "--speaker-model", damaged
    )
    assert (status, out) == (2, "")
    assert "speaker.onnx: not a whole ONNX model" in err
    assert len(err.strip().splitlines()) == 1
