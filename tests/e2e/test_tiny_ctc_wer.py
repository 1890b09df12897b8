"""The committed tiny wav2vec2 CTC model, through ``captions-tui transcribe``: known answers.

Held-out sentences (new word orders, voices in the training ranges) joined by
pauses into one file: sliding windows, stitching, endpoints and the CLI all
have to work for the word error rate to stay low.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.held_out import SENTENCES, HeldOut, transcribe_held_out

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-ctc"
# The bar is 25 %; the committed fixture measured 12.3 % (fp32) and 11.6 % (int8)
# here, so the test holds it to 18 %: a regression of a few words fails it.
MAX_WER = 0.18


@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_held_out_streaming_wer_through_transcribe(
    capfd: pytest.CaptureFixture[str], held_out_clip: HeldOut, quantize: str
) -> None:
    result = transcribe_held_out(capfd, held_out_clip, FIXTURE, "--quantize", quantize)
    assert result.error_rate <= MAX_WER, f"WER {result.error_rate:.1%}: {result.hypothesis}"
    # Lines end at the pauses between sentences, not in the middle of them.
    assert SENTENCES * 0.8 <= result.lines <= SENTENCES * 1.2
