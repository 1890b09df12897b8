"""`transcribe --speakers`: each line of a two-voice file carries who said it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from tests.audio_files import write_audio
from tests.speaker_audio import TINY_SPEAKERS
from tools.tiny_speakers.conversations import Conversation, conversation, distinct_speakers
from tui_captions.cli import main
from tui_captions.speakers.vad import SAMPLE_RATE

TINY_EMFORMER = Path(__file__).parents[1] / "fixtures" / "tiny-emformer"


@pytest.fixture(scope="module")
def two_voices(tmp_path_factory: pytest.TempPathFactory) -> tuple[Conversation, Path]:
    """Turns of 3-6 s with pauses long enough to end the recognizer's lines between them."""
    talk = conversation(
        distinct_speakers(2, seed=21),
        seed=21,
        seconds=30.0,
        turn_s=(3.0, 6.0),
        pause_s=(0.8, 1.2),
        overlap_chance=0.0,
    )
    path = write_audio(tmp_path_factory.mktemp("speakers") / "talk.wav", talk.audio, SAMPLE_RATE)
    return talk, path


def transcribe(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["transcribe", *map(str, args)])
    printed = capsys.readouterr()
    return status, printed.out, printed.err


def test_each_line_carries_the_speaker_of_its_voice(
    capsys: pytest.CaptureFixture[str], two_voices: tuple[Conversation, Path]
) -> None:
    talk, path = two_voices
    status, out, err = transcribe(
        capsys, path, "--model", TINY_EMFORMER, "--format", "jsonl", "--raw",
        "--speakers", "--speaker-model", TINY_SPEAKERS,
    )  # fmt: skip
    assert (status, err) == (0, "")
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) >= len(talk.turns)
    pairs = []
    for line in lines:
        middle = (line["start"] + line["end"]) / 2
        (turn,) = [t for t in talk.turns if t.start - 0.3 <= middle <= t.end + 0.3]
        pairs.append((turn.speaker, line.get("speaker")))
    # each voice's most frequent label is its own, and holds most of its lines
    majority = {
        voice: Counter(label for v, label in pairs if v == voice).most_common(1)[0][0]
        for voice in {v for v, _ in pairs}
    }
    assert sorted(majority.values()) == ["Speaker 1", "Speaker 2"], pairs
    agreeing = sum(label == majority[voice] for voice, label in pairs)
    assert agreeing >= 0.8 * len(pairs), pairs


def test_speakers_without_a_speaker_model_is_one_line_saying_what_to_pass(
    capsys: pytest.CaptureFixture[str], two_voices: tuple[Conversation, Path]
) -> None:
    _, path = two_voices
    status, out, err = transcribe(capsys, path, "--model", TINY_EMFORMER, "--speakers")
    assert (status, out) == (2, "")
    assert err.startswith("captions-tui: error: --speakers needs --speaker-model PATH")
    assert len(err.strip().splitlines()) == 1


def test_a_damaged_speaker_model_is_one_line_before_anything_is_transcribed(
    capsys: pytest.CaptureFixture[str], two_voices: tuple[Conversation, Path], tmp_path: Path
) -> None:
    _, path = two_voices
    damaged = tmp_path / "speaker.onnx"
    damaged.write_bytes(TINY_SPEAKERS.read_bytes()[:1000])
    status, out, err = transcribe(
        capsys, path, "--model", TINY_EMFORMER, "--speakers", "--speaker-model", damaged
    )
    assert (status, out) == (2, "")
    assert "speaker.onnx: not a model ONNX Runtime can load" in err
    assert len(err.strip().splitlines()) == 1
