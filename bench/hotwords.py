"""Hotwords on the tiny model: recall of the words it gets wrong, false alarms, other words' errors.

    python -m bench.hotwords [--sentences 300] [--hotwords 12] [--score 1.5]

Held-out sentences of the tiny vocabulary (a seed training never used),
spoken by espeak-ng in several voices. A first half picks the hotwords: the
words the model recognises worst there (lowest recall, said at least four
times). The second half measures, without and with those hotwords, through
the app's own recognizer (streaming, int8 as the app runs it): their recall
(how many times they were said and written, aligned word by word), false
alarms (a hotword written in a sentence that does not say it, per 100
sentences), and the error rate of the other words (substitutions, deletions
and insertions not involving a hotword, per other word said).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tools.tiny_model.data import build_set, make_utterances
from tools.tiny_model.evaluate import HELD_OUT_SEED, transcribe_streaming
from tools.tiny_model.train import FIXTURE_DIR
from tui_captions.asr.engine import DecodeOptions, RunOptions
from tui_captions.asr.hotwords import Hotword
from tui_captions.asr.recognizer import load_emformer
from tui_captions.asr.runtime import configure_threads

SEED = HELD_OUT_SEED + 40  # sentences neither training nor the WER tests use


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


def transcribe_all(model: object, options: DecodeOptions, clips: Sequence[np.ndarray]) -> list[str]:
    stream = model.create_stream(options)  # type: ignore[attr-defined]
    return [transcribe_streaming(stream, clip) for clip in clips]


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
    args = parser.parse_args()
    configure_threads(1)
    utterances = make_utterances(args.sentences, seed=SEED)
    speech = build_set(utterances)
    clips = [speech.samples(i) for i in range(len(utterances))]
    texts = [u.text for u in utterances]
    half = len(texts) // 2
    model = load_emformer(FIXTURE_DIR, RunOptions(1, "int8", "cpu"))
    plain = DecodeOptions(beam=args.beam)
    picked = recall_by_word(texts[:half], transcribe_all(model, plain, clips[:half]))
    worst = sorted(
        (w for w, (said, _) in picked.items() if said >= 4),
        key=lambda w: (picked[w][1] / picked[w][0], w),
    )[: args.hotwords]
    print("hotwords (recall on the first half):")
    print("  " + ", ".join(f"{w} {picked[w][1]}/{picked[w][0]}" for w in worst))
    words = set(worst)
    runs = [("without hotwords", plain)] + [
        (
            f"score {score:g}",
            DecodeOptions(beam=args.beam, hotwords=tuple(Hotword(w, score) for w in worst)),
        )
        for score in args.score
    ]
    for label, options in runs:
        started = time.perf_counter()
        hypotheses = transcribe_all(model, options, clips[half:])
        seconds = time.perf_counter() - started
        result = score(texts[half:], hypotheses, words)
        print(
            f"{label:17} recall {result.recall:.3f} ({result.said} said)  "
            f"false alarms {result.false_alarms_per_100:.2f}/100 sentences  "
            f"other words' error rate {100 * result.other_error_rate:.2f} %  ({seconds:.0f} s)"
        )
    print(f"{len(texts) - half} sentences measured, {half} used to pick the words")


if __name__ == "__main__":
    main()
