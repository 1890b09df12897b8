"""Word error rate of a model directory on held-out synthetic sentences.

    python -m tools.tiny_model.evaluate [--model DIR] [--sentences 200] [--beam 4] [--cli]

Held-out means new random word orders (a seed training never uses), spoken
with voices, speeds and pitches from the training ranges. Streaming WER goes
through the app's own :class:`Recognizer` chunk by chunk; offline WER decodes
whole utterances (right-padded features, ``RNNTBeamSearch.forward``).
``--cli`` also speaks all sentences into one file, with pauses, and measures
the WER of ``captions-tui transcribe FILE --format text`` on it: the product's
own path from audio file to text.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torchaudio.models import RNNTBeamSearch

from tools.tiny_model.data import SAMPLE_RATE, Utterance, build_set, make_utterances, write_clip
from tools.tiny_model.frontend import offline_features
from tools.tiny_model.train import FIXTURE_DIR
from tui_captions.asr.defaults import QUANTIZE_MODES
from tui_captions.asr.emformer.features import FeatureExtractor
from tui_captions.asr.emformer.model_dir import ModelFiles, load_model_dir
from tui_captions.asr.emformer.recognizer import Recognizer
from tui_captions.asr.emformer.runtime import prepare_model
from tui_captions.asr.engine import DecodeOptions, RecognizerStream
from tui_captions.asr.tokens import Detokenizer

HELD_OUT_SEED = 2


def word_errors(reference: str, hypothesis: str) -> int:
    """Levenshtein distance between the two word sequences."""
    ref, hyp = reference.split(), hypothesis.split()
    previous = list(range(len(hyp) + 1))
    for i, ref_word in enumerate(ref, 1):
        current = [i]
        for j, hyp_word in enumerate(hyp, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref_word != hyp_word))
            )
        previous = current
    return previous[-1]


def wer(references: Sequence[str], hypotheses: Sequence[str]) -> float:
    errors = sum(word_errors(r, h) for r, h in zip(references, hypotheses, strict=True))
    return errors / sum(len(r.split()) for r in references)


def transcribe_streaming(recognizer: RecognizerStream, samples: np.ndarray) -> str:
    """Feed one utterance chunk by chunk (last chunk zero-padded), as live audio arrives;
    any engine's stream."""
    recognizer.reset()
    size = recognizer.format.chunk_samples
    padded = np.zeros(-(-len(samples) // size) * size, dtype=np.float32)
    padded[: len(samples)] = samples
    texts = []
    for start in range(0, len(padded), size):
        texts += [s.text for s in recognizer.accept(padded[start : start + size]).finals]
    texts += [s.text for s in recognizer.finish()]
    return " ".join(texts)


def transcribe_offline(files: ModelFiles, samples: np.ndarray, beam: int) -> str:
    """Whole-utterance decoding: every frame sees the full right context."""
    extractor = FeatureExtractor(files.config, files.stats)
    decoder = RNNTBeamSearch(files.model, files.config.blank)
    wave = torch.from_numpy(samples)[None]
    with torch.inference_mode():
        features, frames = offline_features(
            extractor, files.config, wave, torch.tensor([len(samples)])
        )
        hypotheses = decoder(features, frames, beam)
    return Detokenizer(files.tokenizer)(hypotheses[0][0][1:])


def transcribe_with_cli(model: Path, utterances: Sequence[Utterance], beam: int) -> str:
    """All sentences in one clip through ``captions-tui transcribe``; its text output."""
    with tempfile.TemporaryDirectory() as work:
        clip = Path(work) / "held_out.flac"
        write_clip(utterances, clip, Path(work) / "held_out.txt")
        command = [sys.executable, "-m", "tui_captions.cli", "transcribe", str(clip)]
        command += ["--model", str(model), "--beam", str(beam), "--format", "text"]
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@dataclass(frozen=True)
class Report:
    references: list[str]
    streaming: list[str]
    offline: list[str]
    real_time_factor: float

    def summary(self, examples: int = 8) -> str:
        lines = [
            f"sentences: {len(self.references)}, "
            f"words: {sum(len(r.split()) for r in self.references)}",
            f"streaming WER: {100 * wer(self.references, self.streaming):.1f}% "
            f"(real-time factor {self.real_time_factor:.3f})",
            f"offline WER:   {100 * wer(self.references, self.offline):.1f}%",
        ]
        for ref, stream, offline in list(
            zip(self.references, self.streaming, self.offline, strict=True)
        )[:examples]:
            lines += [f"  ref:     {ref}", f"  stream:  {stream}", f"  offline: {offline}"]
        return "\n".join(lines)


def evaluate(model: Path, sentences: int, beam: int, quantize: str = "none") -> Report:
    torch.set_num_threads(1)
    files = prepare_model(load_model_dir(model), quantize)
    utterances = make_utterances(sentences, HELD_OUT_SEED)
    speech = build_set(utterances)
    recognizer = Recognizer(files, DecodeOptions(beam=beam))
    streaming, offline = [], []
    streaming_seconds = 0.0
    for index in range(len(speech)):
        samples = speech.samples(index)
        started = time.perf_counter()
        streaming.append(transcribe_streaming(recognizer, samples))
        streaming_seconds += time.perf_counter() - started
        offline.append(transcribe_offline(files, samples, beam))
    audio_seconds = float(speech.offsets[-1]) / SAMPLE_RATE
    return Report(
        [u.text for u in utterances], streaming, offline, streaming_seconds / audio_seconds
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=FIXTURE_DIR)
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument("--quantize", choices=QUANTIZE_MODES, default="none")
    parser.add_argument("--cli", action="store_true", help="also measure through the CLI")
    args = parser.parse_args()
    print(evaluate(args.model, args.sentences, args.beam, args.quantize).summary())
    if args.cli:
        utterances = make_utterances(args.sentences, HELD_OUT_SEED)
        output = transcribe_with_cli(args.model, utterances, args.beam)
        reference = " ".join(u.text for u in utterances)
        print(f"CLI (captions-tui transcribe) WER: {100 * wer([reference], [output]):.1f}%")


if __name__ == "__main__":
    main()
