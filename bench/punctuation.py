"""Punctuation and capitals: F1 on held-out prose as a recogniser cuts it, and ms per line.

    python -m bench.punctuation [--model tiny-en|edge-punct-en|PATH] [--words 60000]

The held-out split of ``tools/punctuation`` (whole documents of narrative and
dialogue no training step saw) is lowercased, stripped of marks and cut into
lines where a speaker would pause, then read line by line through the app's
own post-processor, each line with its document's previous lines as context,
exactly as a session does. Each written word is scored against the original:
a period ("." or "!"), comma and question mark after it, and a capital (any
upper-case letter). The rule the app falls back on (sentence case and "I") is
scored in the same run as the reference. Time: ``final()`` on 20-word lines
with their context, on one thread, after a warm-up.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Iterator

from tools.punctuation.corpus import COMMA, LOWER, NONE, PERIOD, QUESTION
from tools.punctuation.data import Stream, lines, splits
from tui_captions.text.catalog import open_post_processor
from tui_captions.text.postprocess import RuleCaser, TextContext, TextPostProcessor

CLASSES = {"period": PERIOD, "comma": COMMA, "question": QUESTION}
MARK_OF = {".": PERIOD, "!": PERIOD, "?": QUESTION, ",": COMMA}
LINE_SEED = 11  # the cut of the evaluation lines (training cut its windows with others)
TIMED_WORDS = 20


def read_lines(stream: Stream, limit: int) -> Iterator[tuple[int, int]]:
    """The stream's first ``limit`` words, cut into lines."""
    for start, end in lines(stream, random.Random(LINE_SEED)):
        if start >= limit:
            return
        yield start, min(end, limit)


def written_labels(shown: str, words: int) -> tuple[list[int], list[bool]]:
    """The mark after each word and whether it has a capital, from a written line."""
    tokens = shown.split()
    if len(tokens) != words:
        raise AssertionError(f"the post-processor changed the words: {shown!r}")
    marks = [MARK_OF.get(token[-1], NONE) for token in tokens]
    capitals = [any(c.isupper() for c in token) for token in tokens]
    return marks, capitals


class Counts:
    """True and false positives and misses of each class."""

    def __init__(self) -> None:
        self.tp: dict[str, int] = {}
        self.fp: dict[str, int] = {}
        self.fn: dict[str, int] = {}

    def add(self, name: str, predicted: bool, wanted: bool) -> None:
        table = self.tp if predicted and wanted else self.fp if predicted else self.fn
        if predicted or wanted:
            table[name] = table.get(name, 0) + 1

    def f1(self, name: str) -> float:
        tp = self.tp.get(name, 0)
        return 2 * tp / (2 * tp + self.fp.get(name, 0) + self.fn.get(name, 0)) if tp else 0.0


def evaluate(post: TextPostProcessor, streams: list[Stream], words_each: int) -> Counts:
    counts = Counts()
    for stream in streams:
        context = TextContext()
        for start, end in read_lines(stream, words_each):
            raw = " ".join(stream.words[start:end])
            shown = post.final(raw, context)
            context.add(raw, shown)
            marks, capitals = written_labels(shown, end - start)
            for index, (mark, capital) in enumerate(zip(marks, capitals, strict=True)):
                wanted_mark = stream.puncts[start + index]
                for name, value in CLASSES.items():
                    counts.add(name, mark == value, wanted_mark == value)
                counts.add("capital", capital, stream.cases[start + index] != LOWER)
    return counts


def line_times(post: TextPostProcessor, streams: list[Stream], lines_wanted: int) -> list[float]:
    """ms of ``final()`` on 20-word lines, each read after the 40 words before it."""
    rng = random.Random(LINE_SEED)
    long_enough = [s for s in streams if len(s.words) > 200]
    times = []
    for n in range(lines_wanted + 20):
        stream = rng.choice(long_enough)
        start = rng.randrange(60, len(stream.words) - TIMED_WORDS)
        context = TextContext()
        context.add(" ".join(stream.words[start - 60 : start]), "")
        raw = " ".join(stream.words[start : start + TIMED_WORDS])
        began = time.perf_counter()
        post.final(raw, context)
        if n >= 20:  # the first calls warm the runtime up
            times.append((time.perf_counter() - began) * 1000)
    return times


def refuse(notice: str) -> None:
    """A model that cannot be used is no figure of the model: stop instead of falling back."""
    raise SystemExit(f"bench.punctuation: {notice}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tiny-en", help="as --punctuation (default tiny-en)")
    parser.add_argument("--words", type=int, default=60000, help="words read per document at most")
    parser.add_argument("--lines", type=int, default=500, help="timed 20-word lines")
    args = parser.parse_args()

    streams = splits().test
    total = sum(min(len(s.words), args.words) for s in streams)
    print(f"held-out: {len(streams)} documents, {total} words")
    post = open_post_processor(args.model, notice=refuse)
    names = (*CLASSES, "capital")
    print(f"{'post-processor':<34}" + "".join(f"{n:>10}" for n in names))
    for label, processor in (("rules (the fallback)", RuleCaser()), (post.name, post)):
        counts = evaluate(processor, streams, args.words)
        print(f"{label[:33]:<34}" + "".join(f"{counts.f1(n):>10.3f}" for n in names))
    times = line_times(post, streams, args.lines)
    p95 = statistics.quantiles(times, n=20)[-1]
    print(
        f"ms per {TIMED_WORDS}-word line (+40 words of context, one thread): "
        f"median {statistics.median(times):.2f}, p95 {p95:.2f}, max {max(times):.2f}"
    )


if __name__ == "__main__":
    main()
