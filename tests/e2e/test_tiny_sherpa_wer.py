"""The committed tiny sherpa-onnx model, through ``captions-tui transcribe``: known answers.

A small LSTM transducer in sherpa-onnx's ``lstm`` contract (trained by
``tools/tiny_sherpa``). Held-out sentences (new word orders, voices in the
training ranges) joined by pauses into one file, through the command line: the
model directory, sherpa-onnx's features and searches, the engine's chunks,
endpoints and flush, and the CLI all have to work for the error rate to stay low.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.held_out import SENTENCES, HeldOut, transcribe_held_out

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-sherpa"
# The bar is 15 %; the committed model measured 4.5 % (modified beam search) and
# 7.1 % (greedy) here, int8 and fp16 alike, so the test holds it to 10 %: a regression of a
# few words fails it.
MAX_WER = 0.10


@pytest.mark.parametrize("decoder", ["beam", "greedy"])
def test_held_out_wer_through_transcribe(
    capfd: pytest.CaptureFixture[str], held_out_clip: HeldOut, decoder: str
) -> None:
    """Modified beam search (the default for transducers) and greedy search."""
    result = transcribe_held_out(capfd, held_out_clip, FIXTURE, "--decoder", decoder)
    assert result.error_rate <= MAX_WER, f"WER {result.error_rate:.1%}: {result.hypothesis}"
    # Lines end at the pauses between sentences, not in the middle of them.
    assert SENTENCES * 0.8 <= result.lines <= SENTENCES * 1.2
