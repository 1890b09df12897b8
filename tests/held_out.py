"""The tiny models' known answer: held-out sentences (new word orders of their vocabulary,
voices in the training ranges) joined by pauses into one file, read by ``captions-tui
transcribe`` in the test's process (the CLI's code, without a process start). The clip is
synthesized once a test session (``held_out_clip`` in conftest) and shared by every tiny
model's WER test."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli import run_cli
from tools.tiny_model.data import Utterance, make_utterances, write_clip
from tools.tiny_model.evaluate import wer

TEST_SEED = 3
SENTENCES = 25


@dataclass(frozen=True)
class HeldOut:
    clip: Path
    utterances: tuple[Utterance, ...]


@dataclass(frozen=True)
class Transcribed:
    error_rate: float
    hypothesis: str
    lines: int


def write_held_out(folder: Path) -> HeldOut:
    utterances = tuple(make_utterances(SENTENCES, TEST_SEED))
    clip = folder / "held_out.flac"
    write_clip(utterances, clip, folder / "held_out.txt")
    return HeldOut(clip, utterances)


def transcribe_held_out(
    capfd: pytest.CaptureFixture[str], held_out: HeldOut, model: Path, *options: str
) -> Transcribed:
    """The clip through ``transcribe --model MODEL *options`` (raw words, jsonl), scored."""
    out = run_cli(
        capfd,
        "transcribe",
        held_out.clip,
        "--model",
        model,
        *options,
        "--format",
        "jsonl",
        "--raw",
    )
    assert out.returncode == 0, out.stderr
    segments = [json.loads(line) for line in out.stdout.splitlines()]
    reference = " ".join(u.text for u in held_out.utterances)
    hypothesis = " ".join(s["text"] for s in segments)
    return Transcribed(wer([reference], [hypothesis]), hypothesis, len(segments))
