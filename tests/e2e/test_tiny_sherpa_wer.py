"""The committed tiny sherpa-onnx model, through ``captions-tui transcribe``: known answers.

A small LSTM transducer in sherpa-onnx's ``lstm`` contract (trained by
``tools/tiny_sherpa``). Held-out sentences (new word orders, voices in the
training ranges) joined by pauses into one file, in a real process: the
model directory, sherpa-onnx's features and searches, the engine's chunks,
endpoints and flush, and the CLI all have to work for the error rate to stay low.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tools.tiny_model.data import make_utterances, write_clip
from tools.tiny_model.evaluate import wer

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-sherpa"
TEST_SEED = 3
SENTENCES = 25
# The bar is 15 %; the committed model measured 4.5 % (modified beam search) and
# 7.1 % (greedy) here, int8 and fp16 alike, so the test holds it to 10 %: a regression of a
# few words fails it.
MAX_WER = 0.10


@pytest.mark.parametrize("decoder", ["beam", "greedy"])
def test_held_out_wer_through_transcribe(decoder: str) -> None:
    """Modified beam search (the default for transducers) and greedy search."""
    utterances = make_utterances(SENTENCES, TEST_SEED)
    with tempfile.TemporaryDirectory() as work:
        clip = Path(work) / "held_out.flac"
        write_clip(utterances, clip, Path(work) / "held_out.txt")
        out = subprocess.run(
            [sys.executable, "-m", "tui_captions.cli", "transcribe", str(clip),
             "--model", str(FIXTURE), "--decoder", decoder, "--format", "jsonl", "--raw"],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    assert out.returncode == 0, out.stderr
    segments = [json.loads(line) for line in out.stdout.splitlines()]
    reference = " ".join(u.text for u in utterances)
    hypothesis = " ".join(s["text"] for s in segments)
    error_rate = wer([reference], [hypothesis])
    assert error_rate <= MAX_WER, f"WER {error_rate:.1%}: {hypothesis}"
    # Lines end at the pauses between sentences, not in the middle of them.
    assert SENTENCES * 0.8 <= len(segments) <= SENTENCES * 1.2
