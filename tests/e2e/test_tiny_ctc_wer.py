"""The committed tiny wav2vec2 CTC model, through ``captions-tui transcribe``: known answers.

Held-out sentences (new word orders, voices in the training ranges) joined by
pauses into one file: sliding windows, stitching, endpoints and the CLI all
have to work for the word error rate to stay low.
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

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-ctc"
TEST_SEED = 3
SENTENCES = 25
# The bar is 25 %; the committed fixture measured 12.3 % (fp32) and 11.6 % (int8)
# here, so the test holds it to 18 %: a regression of a few words fails it.
MAX_WER = 0.18


@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_held_out_streaming_wer_through_transcribe(quantize: str) -> None:
    utterances = make_utterances(SENTENCES, TEST_SEED)
    with tempfile.TemporaryDirectory() as work:
        clip = Path(work) / "held_out.flac"
        write_clip(utterances, clip, Path(work) / "held_out.txt")
        out = subprocess.run(
            [sys.executable, "-m", "tui_captions.cli", "transcribe", str(clip),
             "--model", str(FIXTURE), "--quantize", quantize, "--format", "jsonl", "--raw"],
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
