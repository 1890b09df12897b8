"""Word error rate of a tiny-sherpa model directory, decoded by sherpa-onnx itself.

    python -m tools.tiny_sherpa.evaluate [--model DIR] [--sentences 200] [--beam 4] [--int8]

Held-out sentences (new word orders, seed 2, as for the other tiny models),
one sherpa-onnx stream each, fed in 160 ms pieces as live audio arrives, then
``TAIL_SECONDS`` of silence (the encoder looks ahead) and the end of input.
``--beam 1`` is sherpa's greedy search, a wider beam its modified beam search.
``--parity`` also decodes each sentence with this module's own greedy loop
over the same ONNX files (onnxruntime, torchaudio's kaldi fbank, whole
windows of ``T`` frames advanced by ``decode_chunk_len``) and counts the
sentences where sherpa-onnx says the same: the check that the features and
the contract are what sherpa-onnx computes.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime
import sherpa_onnx
import torch

from tools.tiny_model.data import SAMPLE_RATE, build_set, make_utterances
from tools.tiny_model.evaluate import HELD_OUT_SEED, wer
from tools.tiny_sherpa.export import FIXTURE_DIR
from tools.tiny_sherpa.features import fbank

FEED_SAMPLES = 2560
TAIL_SECONDS = 0.5
HELD_OUT_SENTENCES = 200


def model_file(model: Path, role: str, int8: bool) -> Path:
    """``role.int8.onnx`` where ``int8`` asks and it exists (captions-tui's choice), else fp16."""
    quantized = model / f"{role}.int8.onnx"
    return quantized if int8 and quantized.exists() else model / f"{role}.onnx"


def recognizer(model: Path, beam: int, int8: bool = False) -> sherpa_onnx.OnlineRecognizer:
    return sherpa_onnx.OnlineRecognizer.from_transducer(
        tokens=str(model / "tokens.txt"),
        encoder=str(model_file(model, "encoder", int8)),
        decoder=str(model_file(model, "decoder", int8)),
        joiner=str(model_file(model, "joiner", int8)),
        num_threads=1,
        sample_rate=SAMPLE_RATE,
        feature_dim=80,
        decoding_method="greedy_search" if beam == 1 else "modified_beam_search",
        max_active_paths=beam,
    )


def transcribe(engine: sherpa_onnx.OnlineRecognizer, samples: np.ndarray) -> str:
    stream = engine.create_stream()
    padded = np.concatenate([samples, np.zeros(int(TAIL_SECONDS * SAMPLE_RATE), np.float32)])
    for start in range(0, len(padded), FEED_SAMPLES):
        stream.accept_waveform(SAMPLE_RATE, padded[start : start + FEED_SAMPLES])
        while engine.is_ready(stream):
            engine.decode_stream(stream)
    stream.input_finished()
    while engine.is_ready(stream):
        engine.decode_stream(stream)
    return str(engine.get_result(stream)).strip()


def reference_greedy(model: Path, samples: np.ndarray) -> str:
    """Greedy search (one symbol per frame, blank 0) over the ONNX files, without sherpa-onnx."""
    sessions = {
        role: onnxruntime.InferenceSession(str(model / f"{role}.onnx"))
        for role in ("encoder", "decoder", "joiner")
    }
    meta = sessions["encoder"].get_modelmeta().custom_metadata_map
    window, shift = int(meta["T"]), int(meta["decode_chunk_len"])
    layers, d_model = int(meta["num_encoder_layers"]), int(meta["d_model"])
    hidden = int(meta["rnn_hidden_size"])
    context = int(sessions["decoder"].get_modelmeta().custom_metadata_map["context_size"])
    symbols = dict((int(i), s) for s, i in (line.split() for line in (model / "tokens.txt").open()))
    padded = np.concatenate([samples, np.zeros(int(TAIL_SECONDS * SAMPLE_RATE), np.float32)])
    features = fbank(torch.from_numpy(padded)).numpy()[None]
    h = np.zeros((layers, 1, d_model), np.float32)
    c = np.zeros((layers, 1, hidden), np.float32)
    tokens = [-1] * (context - 1) + [0]

    def decoder_out() -> np.ndarray:
        y = np.array([tokens[-context:]], dtype=np.int64)
        return np.asarray(sessions["decoder"].run(None, {"y": y})[0])

    predicted = decoder_out()
    for start in range(0, features.shape[1] - window + 1, shift):
        x = features[:, start : start + window]
        encoded, h, c = sessions["encoder"].run(None, {"x": x, "state0": h, "state1": c})
        for frame in encoded[0]:
            logits = sessions["joiner"].run(
                None, {"encoder_out": frame[None], "decoder_out": predicted}
            )[0]
            token = int(logits[0].argmax())
            if token != 0:
                tokens.append(token)
                predicted = decoder_out()
    text = "".join(symbols[t] for t in tokens[context:])
    return text.replace("\u2581", " ").strip()


@dataclass(frozen=True)
class Report:
    references: list[str]
    hypotheses: list[str]
    real_time_factor: float

    def summary(self, examples: int = 0) -> str:
        line = (
            f"WER {100 * wer(self.references, self.hypotheses):.1f}% "
            f"(real-time factor {self.real_time_factor:.3f})"
        )
        pairs = zip(self.references, self.hypotheses, strict=True)
        wrong = [(r, h) for r, h in pairs if r != h][:examples]
        return "\n".join([line] + [f"  ref: {r}\n  hyp: {h}" for r, h in wrong])


def evaluate(model: Path, sentences: int, beam: int, int8: bool = False) -> Report:
    """The first ``sentences`` of the held-out set (200 synthesized once and cached)."""
    engine = recognizer(model, beam, int8)
    utterances = make_utterances(max(sentences, HELD_OUT_SENTENCES), HELD_OUT_SEED)
    speech = build_set(utterances)
    hypotheses = []
    started = time.perf_counter()
    for index in range(sentences):
        hypotheses.append(transcribe(engine, speech.samples(index)))
    audio_seconds = float(speech.offsets[sentences]) / SAMPLE_RATE
    return Report(
        [u.text for u in utterances[:sentences]],
        hypotheses,
        (time.perf_counter() - started) / audio_seconds,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=FIXTURE_DIR)
    parser.add_argument("--sentences", type=int, default=200)
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument(
        "--int8", action="store_true", help="the *.int8.onnx files where there are some"
    )
    parser.add_argument("--parity", action="store_true", help="sherpa-onnx against our own loop")
    args = parser.parse_args()
    if args.parity:
        engine = recognizer(args.model, beam=1)
        speech = build_set(make_utterances(HELD_OUT_SENTENCES, HELD_OUT_SEED))
        same = sum(
            transcribe(engine, speech.samples(i)) == reference_greedy(args.model, speech.samples(i))
            for i in range(args.sentences)
        )
        print(f"parity: sherpa-onnx greedy == own greedy loop on {same} of {args.sentences}")
    print(evaluate(args.model, args.sentences, args.beam, args.int8).summary(examples=8))


if __name__ == "__main__":
    main()
