"""Hotwords on the tiny models: recall of the words they get wrong, false alarms, other words'
errors, for our biasing (the Emformer) and sherpa-onnx's (the sherpa engine) side by side;
with --build, what long lists cost.

    python -m bench.hotwords [--sentences 300] [--hotwords 12] [--score 1.5]
    python -m bench.hotwords --build [--sizes 1000 10000 100000]

Held-out sentences of the tiny vocabulary (a seed neither model's training
used), spoken by espeak-ng in several voices. Two tiny models trained on the
same words: the Emformer, whose hotwords are our context graph in our beam
search, and the sherpa-onnx transducer (``--tiny-sherpa``), whose hotwords are
sherpa-onnx's own per-stream biasing, each through its engine as the app runs
it (streaming, int8 where the model has it, beam 4). A first half picks the
hotwords, the same for both: the words the two recognise worst there (lowest
recall averaged over the models, said at least four times). The second half
measures, for each model, without and with those hotwords: their recall (how
many times they were said and written, aligned word by word), false alarms (a
hotword written in a sentence that does not say it, per 100 sentences), and
the error rate of the other words (substitutions, deletions and insertions
not involving a hotword, per other word said).

--build: the graph of lists of random phrases of the tiny model's words (and
3,000 of a 4,096-piece vocabulary, where the first pieces are many), each in a
fresh process: build time and peak memory; then ``captions-tui transcribe`` of
a short clip with the longest list, wall time and peak memory beside the same
without hotwords.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.latency import load_model
from bench.sherpa_models import TINY_SHERPA
from tools.tiny_model.data import build_set, load_vocabulary, make_utterances, write_clip
from tools.tiny_model.evaluate import HELD_OUT_SEED, transcribe_streaming
from tools.tiny_model.train import FIXTURE_DIR
from tui_captions.asr.context_graph import build_graph
from tui_captions.asr.engine import AsrModel, DecodeOptions
from tui_captions.asr.hotwords import DEFAULT_HOTWORD_SCORE, Hotword
from tui_captions.asr.runtime import configure_threads
from tui_captions.audio.decode import decode_audio

SEED = HELD_OUT_SEED + 40  # sentences neither training nor the WER tests use
LARGE_VOCABULARY = 4096  # pieces, as a large model's: its phrases start with many of them


def align(
    reference: Sequence[str], hypothesis: Sequence[str]
) -> list[tuple[str | None, str | None]]:
    """Word alignment with the fewest edits: pairs (said, written), None for a gap."""
    rows, cols = len(reference), len(hypothesis)
    cost = np.zeros((rows + 1, cols + 1), dtype=int)
    cost[:, 0] = np.arange(rows + 1)
    cost[0, :] = np.arange(cols + 1)
    for i in range(1, rows + 1):
        for j in range(1, cols + 1):
            cost[i, j] = min(
                cost[i - 1, j] + 1,
                cost[i, j - 1] + 1,
                cost[i - 1, j - 1] + (reference[i - 1] != hypothesis[j - 1]),
            )
    pairs: list[tuple[str | None, str | None]] = []
    i, j = rows, cols
    while i or j:
        if i and j and cost[i, j] == cost[i - 1, j - 1] + (reference[i - 1] != hypothesis[j - 1]):
            pairs.append((reference[i - 1], hypothesis[j - 1]))
            i, j = i - 1, j - 1
        elif i and cost[i, j] == cost[i - 1, j] + 1:
            pairs.append((reference[i - 1], None))
            i -= 1
        else:
            pairs.append((None, hypothesis[j - 1]))
            j -= 1
    return pairs[::-1]


@dataclass
class Scores:
    recall: float
    said: int
    false_alarms_per_100: float
    other_error_rate: float


def score(references: Sequence[str], hypotheses: Sequence[str], words: set[str]) -> Scores:
    said = hit = false = other_said = other_errors = 0
    for reference, hypothesis in zip(references, hypotheses, strict=True):
        false += len((set(hypothesis.split()) & words) - set(reference.split()))
        for spoken, written in align(reference.split(), hypothesis.split()):
            if spoken in words:
                said += 1
                hit += written == spoken
            if spoken is not None and spoken not in words:
                other_said += 1
                other_errors += written != spoken
            elif spoken is None and written not in words:
                other_errors += 1  # an insertion of another word
    return Scores(
        recall=hit / said if said else float("nan"),
        said=said,
        false_alarms_per_100=100 * false / len(references),
        other_error_rate=other_errors / other_said if other_said else float("nan"),
    )


def recall_by_word(
    references: Sequence[str], hypotheses: Sequence[str]
) -> dict[str, tuple[int, int]]:
    counts: dict[str, list[int]] = {}
    for reference, hypothesis in zip(references, hypotheses, strict=True):
        for spoken, written in align(reference.split(), hypothesis.split()):
            if spoken is not None:
                said_hit = counts.setdefault(spoken, [0, 0])
                said_hit[0] += 1
                said_hit[1] += written == spoken
    return {w: (s, h) for w, (s, h) in counts.items()}


def transcribe_all(
    model: AsrModel, options: DecodeOptions, clips: Sequence[np.ndarray]
) -> list[str]:
    stream = model.create_stream(options)
    return [transcribe_streaming(stream, clip) for clip in clips]


def worst_words(recalls: Sequence[dict[str, tuple[int, int]]], count: int) -> list[str]:
    """The ``count`` words with the lowest recall averaged over the models (each model's
    ``recall_by_word`` of the same sentences), said at least four times: one list for all."""

    def mean_recall(word: str) -> float:
        return sum(hit / said for said, hit in (r[word] for r in recalls)) / len(recalls)

    candidates = [word for word, (said, _) in recalls[0].items() if said >= 4]
    return sorted(candidates, key=lambda word: (mean_recall(word), word))[:count]


def tiny_models(tiny_sherpa: Path) -> dict[str, AsrModel]:
    """The tiny Emformer and, where it is, the tiny sherpa-onnx model, as the app runs them."""
    models = {"tiny Emformer, our biasing": load_model(str(FIXTURE_DIR), "int8")}
    if not tiny_sherpa.is_dir():
        print(f"{tiny_sherpa}: missing, skipped")
        return models
    models["tiny sherpa-onnx, its own biasing"] = load_model(str(tiny_sherpa), "int8")
    return models


def random_phrases(count: int, seed: int = 0) -> list[str]:
    """``count`` lines of two to four of the tiny model's words (a few repeat)."""
    rng = random.Random(seed)
    words = load_vocabulary()
    return [" ".join(rng.choices(words, k=rng.randint(2, 4))) for _ in range(count)]


def _piece_ids(text: str) -> list[int]:
    """A large vocabulary's phrase, written as its piece ids: ``"17 2301 55"``."""
    return [int(piece) for piece in text.split()]


def _build_one(count: int, vocabulary: int) -> None:
    """In a fresh process: build the graph of ``count`` phrases and print its figures."""
    if vocabulary:
        rng = random.Random(0)
        texts = [
            " ".join(str(rng.randrange(1, vocabulary)) for _ in range(rng.randint(2, 6)))
            for _ in range(count)
        ]
        pieces = ["<unk>"] + [f"\u2581p{i}" for i in range(1, vocabulary)] + [""]
        encode: Callable[[str], list[int]] = _piece_ids
    else:
        import sentencepiece as spm

        tokenizer = spm.SentencePieceProcessor(model_file=str(FIXTURE_DIR / "tokenizer.model"))
        texts = random_phrases(count)
        pieces = [tokenizer.id_to_piece(i) for i in range(tokenizer.get_piece_size())] + [""]
        encode = tokenizer.encode
    hotwords = [Hotword(text, DEFAULT_HOTWORD_SCORE) for text in dict.fromkeys(texts)]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    graph = build_graph(hotwords, encode, pieces, unknown=0)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "phrases": len(hotwords),
                "pieces": graph.score.numel() - 1,
                "seconds": seconds,
                "before_mb": before / 1024,
                "peak_mb": peak / 1024,
            }
        )
    )


def _measured(command: list[str]) -> tuple[str, float, float]:
    """A child's standard output, wall seconds and peak memory (MB)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{command[:5]} failed ({process.returncode})")
    return out, time.perf_counter() - started, usage.ru_maxrss / 1024


def build_costs(sizes: Sequence[int]) -> None:
    """Build time and peak memory by list size; a clip captioned with the longest list."""
    print("phrases  vocabulary  pieces  build     peak memory (the process before it)")
    runs = [(size, 0) for size in sizes] + [(3000, LARGE_VOCABULARY)]
    for size, vocabulary in runs:
        out, _, _ = _measured(
            [sys.executable, "-m", "bench.hotwords", "--build-one", str(size), str(vocabulary)]
        )
        row = json.loads(out)
        print(
            f"{row['phrases']:7,}  {vocabulary or 'tiny':>10}  {row['pieces']:7,}  "
            f"{row['seconds']:6.2f} s  {row['peak_mb']:5.0f} MB ({row['before_mb']:.0f} MB)"
        )
    with tempfile.TemporaryDirectory() as folder:
        clip, words = Path(folder) / "clip.flac", Path(folder) / "hotwords.txt"
        write_clip(make_utterances(2, seed=SEED), clip, Path(folder) / "clip.txt")
        words.write_text("".join(line + "\n" for line in random_phrases(max(sizes))))
        seconds = sum(map(len, decode_audio(str(clip), 16_000))) / 16_000
        print(f"captioning a {seconds:.1f} s clip (captions-tui transcribe, tiny model):")
        command = [sys.executable, "-m", "tui_captions.cli", "transcribe", str(clip)]
        command += ["--model", str(FIXTURE_DIR), "--raw", "--punctuation", "none"]
        for label, extra in [
            ("without hotwords", []),
            (f"{max(sizes):,} lines", ["--hotwords-file", str(words)]),
        ]:
            _, seconds, peak = _measured(command + extra)
            print(f"  {label:16}  {seconds:5.1f} s, peak {peak:5.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sentences", type=int, default=300)
    parser.add_argument("--hotwords", type=int, default=12, help="how many of the worst words")
    parser.add_argument(
        "--score",
        type=float,
        nargs="+",
        default=[1.5],
        help="bonus per hotword token (several: each)",
    )
    parser.add_argument("--beam", type=int, default=4)
    parser.add_argument(
        "--tiny-sherpa", type=Path, default=TINY_SHERPA, help="the tiny sherpa-onnx model"
    )
    parser.add_argument("--build", action="store_true", help="what long lists cost instead")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--build-one", type=int, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_one:
        return _build_one(*args.build_one)
    if args.build:
        return build_costs(args.sizes)
    configure_threads(1)
    utterances = make_utterances(args.sentences, seed=SEED)
    speech = build_set(utterances)
    clips = [speech.samples(i) for i in range(len(utterances))]
    texts = [u.text for u in utterances]
    half = len(texts) // 2
    plain = DecodeOptions(beam=args.beam)
    models = tiny_models(args.tiny_sherpa)
    recalls = {
        name: recall_by_word(texts[:half], transcribe_all(model, plain, clips[:half]))
        for name, model in models.items()
    }
    worst = worst_words(list(recalls.values()), args.hotwords)
    print("hotwords (recall on the first half, by model):")
    for name, picked in recalls.items():
        print(f"  {name}: " + ", ".join(f"{w} {picked[w][1]}/{picked[w][0]}" for w in worst))
    words = set(worst)
    runs = [("without hotwords", plain)] + [
        (
            f"score {score:g}",
            DecodeOptions(beam=args.beam, hotwords=tuple(Hotword(w, score) for w in worst)),
        )
        for score in args.score
    ]
    for name, model in models.items():
        print(f"{name}:")
        for label, options in runs:
            started = time.perf_counter()
            hypotheses = transcribe_all(model, options, clips[half:])
            seconds = time.perf_counter() - started
            result = score(texts[half:], hypotheses, words)
            print(
                f"  {label:17} recall {result.recall:.3f} ({result.said} said)  "
                f"false alarms {result.false_alarms_per_100:.2f}/100 sentences  "
                f"other words' error rate {100 * result.other_error_rate:.2f} %  "
                f"({seconds:.0f} s)"
            )
    print(f"{len(texts) - half} sentences measured, {half} used to pick the words")


if __name__ == "__main__":
    main()
