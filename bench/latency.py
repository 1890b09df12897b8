"""Per-chunk latency of the reference pipeline (seed 000's algorithm) and ours, in one run;
then the delay a reader feels, per model: from a word's end to the text that shows it.

    python -m bench.latency [--size base|small] [--beam 10] [--seconds 60]
    python -m bench.latency --long-minutes 10 --reference-minutes 3
    python -m bench.latency --felt-only [--model DIR_OR_NAME ...] [--sentences 40]

Both decode the same audio (espeak-ng speech, repeated) with the same random
model directory, one torch thread, in turns of a few seconds of audio (so load
changes hit both alike). Printed: per-chunk p50/p95/max, RTF, where a chunk's
time goes (features, encoder step, search: mean ms per chunk) and the ratios
reference/ours; with --long-minutes, the first-minute and last-minute medians
of each (the reference re-reads its whole, growing hypothesis every chunk;
ours restarts it at endpoints).

Felt delay: each ``--model`` (any engine's directory or catalog name, through
the registry; by default the two tiny trained models) hears sentences whose
words espeak-ng spoke one by one, so each word's end is known (where its sound
falls 40 dB below its loudest). The stream takes the chunks in order as a live
capture hands them over, on a simulated clock: a chunk is there at its end on
the audio's time line, decoding starts then (or when the one before is done)
and takes the compute measured. For each word of the transcript matched to
the spoken words (same text, in order): the delay from its end to the first
partial that showed it, and to its final line (after the endpoint's silence).
Also the engine's own word end (what the live pane counts from) minus the
true one. A model with random weights spells nonsense: no word matches, so it
cannot give a felt delay.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.reference_pipeline import ReferencePipeline
from tools.random_model import make_random_model, pseudo_text
from tools.tiny_model.data import (
    SAMPLE_RATE,
    Utterance,
    make_utterances,
    synthesize_many,
    to_float,
)
from tui_captions.asr.catalog import model_directory
from tui_captions.asr.defaults import DEFAULT_QUANTIZE, QUANTIZE_MODES
from tui_captions.asr.emformer.model_dir import ModelFiles, load_model_dir
from tui_captions.asr.emformer.recognizer import Recognizer
from tui_captions.asr.emformer.runtime import prepare_model
from tui_captions.asr.engine import AsrModel, DecodeOptions, RunOptions, StepResult
from tui_captions.asr.hotwords import DEFAULT_HOTWORD_SCORE, Hotword
from tui_captions.asr.registry import engine_for
from tui_captions.asr.runtime import configure_threads
from tui_captions.audio.decode import decode_audio, fixed_chunks
from tui_captions.core.felt import ShownWord, WordClock
from tui_captions.core.stats import percentile

SPEECH = (
    "the weather today is mild with a light wind from the west and a chance of rain "
    "later in the evening so take a coat if you go out after dinner"
)
STAGES = ("features", "encoder", "search")
# Blank-logit offsets that make random models emit a few tokens per second of audio.
BLANK_BIAS = {"base": 4.0, "small": 4.0}
REPO = Path(__file__).resolve().parents[1]
TINY_MODELS = (
    REPO / "tests" / "fixtures" / "tiny-emformer",
    REPO / "tests" / "fixtures" / "tiny-ctc",
)
FELT_SEED = 7
WORD_GAP_S = 0.05
PAUSE_S = 1.2  # after each sentence: longer than the endpoint's silence
SOUND_FLOOR_DB = 40.0  # a word's sound is its 10 ms frames within this of its loudest
FRAME_S = 0.01
# A model that matches fewer of the spoken words does not recognise the speech: its few
# matches are chance (a random model's pieces spelling a word), timed from far away.
MIN_MATCHED = 0.5


def speech_chunks(
    directory: Path, seconds: float, chunk_samples: int, rate: int
) -> list[np.ndarray]:
    wav = directory / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), SPEECH], check=True)
    speech = np.concatenate(list(decode_audio(str(wav), rate)))
    audio = np.tile(speech, int(np.ceil(seconds * rate / speech.size)))[: int(seconds * rate)]
    return list(fixed_chunks(iter([audio]), chunk_samples))


def timed(step: Callable[[np.ndarray], object], chunks: list[np.ndarray]) -> list[float]:
    times = []
    for chunk in chunks:
        started = time.perf_counter()
        step(chunk)
        times.append((time.perf_counter() - started) * 1000.0)
    return times


def paced_compute(
    recognizer: Recognizer, chunks: list[np.ndarray], period_s: float | None
) -> list[float]:
    """Per-chunk compute, each chunk handed over every ``period_s`` as a live capture does
    (``None``: back to back, the decoder never waiting for audio)."""
    times = []
    started = time.perf_counter()
    for index, chunk in enumerate(chunks):
        if period_s is not None:
            time.sleep(max(0.0, started + (index + 1) * period_s - time.perf_counter()))
        times.append(recognizer.accept(chunk).compute_ms)
    return times


@dataclasses.dataclass
class Timings:
    """Per-chunk wall time of one pipeline, and of each of its stages."""

    totals: list[float] = dataclasses.field(default_factory=list)
    stages: dict[str, list[float]] = dataclasses.field(
        default_factory=lambda: {stage: [] for stage in STAGES}
    )

    def add(self, total: float, stage_ms: dict[str, float]) -> None:
        self.totals.append(total)
        for stage in STAGES:
            self.stages[stage].append(stage_ms[stage])


def summary(times: list[float], chunk_seconds: float) -> dict[str, float]:
    per_minute = round(60 / chunk_seconds)
    return {
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "max": max(times),
        "rtf": sum(times) / 1000 / (len(times) * chunk_seconds),
        "first_min_p50": percentile(times[:per_minute], 50),
        "last_min_p50": percentile(times[-per_minute:], 50),
    }


def timings_summary(timings: Timings, chunk_seconds: float) -> dict[str, Any]:
    """``summary`` of the totals, plus each stage's mean (means add up to the total's)."""
    return {
        **summary(timings.totals, chunk_seconds),
        "stages_mean_ms": {stage: statistics.fmean(ms) for stage, ms in timings.stages.items()},
    }


def run_ours(files: ModelFiles, beam: int, chunks: list[np.ndarray]) -> tuple[list[float], int]:
    recognizer = Recognizer(files, DecodeOptions(beam=beam))
    finals = 0

    def step(chunk: np.ndarray) -> None:
        nonlocal finals
        finals += len(recognizer.accept(chunk).finals)

    return timed(step, chunks), finals


def run_reference(files: ModelFiles, beam: int, chunks: list[np.ndarray]) -> list[float]:
    reference = ReferencePipeline(files, beam_width=beam)
    return timed(lambda chunk: reference.infer(torch.from_numpy(chunk)), chunks)


def run_side_by_side(
    files: ModelFiles,
    prepared: ModelFiles,
    beam: int,
    chunks: list[np.ndarray],
    seed_beam: int,
    block: int,
) -> tuple[Timings, Timings, float]:
    """Both pipelines over the same audio in turn, ``block`` chunks at a time.

    Turns of a few seconds let load changes hit both alike, while each runs as
    it would alone: turns of one chunk had the reference's 300 MB of fp32
    weights push ours out of the caches before every chunk of ours (base int8:
    ~11 ms per chunk alone, ~15 ms so interleaved). The reference decodes
    ``files`` (fp32, torchaudio's Python search); ours ``prepared`` (as the app
    runs it). Returns the timings of ours and of the reference, and the
    reference's token rate (tokens per second of audio), which is what makes
    it grow.
    """
    recognizer = Recognizer(prepared, DecodeOptions(beam=beam))
    reference = ReferencePipeline(files, beam_width=seed_beam)
    ours, theirs = Timings(), Timings()
    for start in range(0, len(chunks), block):
        turn = chunks[start : start + block]
        for chunk in turn:
            (total,) = timed(recognizer.accept, [chunk])
            ours.add(total, recognizer.stage_ms)
        for chunk in turn:
            (total,) = timed(lambda c: reference.infer(torch.from_numpy(c)), [chunk])
            theirs.add(total, reference.stage_ms)
    tokens = len(reference.hypotheses[0][0]) - 1 if reference.hypotheses else 0
    return ours, theirs, tokens / (len(chunks) * files.config.chunk_seconds)


def hotword_phrases(count: int, score: float = DEFAULT_HOTWORD_SCORE) -> tuple[Hotword, ...]:
    """``count`` phrases of one to three words in the random model's pseudo-language."""
    words = sorted({w for line in pseudo_text(200, seed=5) for w in line.split()})
    rng = np.random.default_rng(5)
    return tuple(
        Hotword(" ".join(rng.choice(words, size=rng.integers(1, 4))), score) for _ in range(count)
    )


def run_hotword_cost(
    prepared: ModelFiles, beam: int, chunks: list[np.ndarray], count: int, block: int
) -> dict[str, Any]:
    """Ours without hotwords, with ``count`` of them at score 0 (the graph walked, nothing
    preferred: the same decisions) and at the default score, in turns over the same audio.

    A random model's tokens are near equally likely, so the bonus makes it write many
    more of the hotwords' pieces, and every token written costs a predictor step: the
    third row measures that as well as the graph."""
    runs = {
        "none": (),
        f"{count} hotwords, score 0": hotword_phrases(count, 0.0),
        f"{count} hotwords": hotword_phrases(count),
    }
    recognizers = {
        name: Recognizer(prepared, DecodeOptions(beam=beam, hotwords=hw))
        for name, hw in runs.items()
    }
    timings = {name: Timings() for name in runs}
    words = dict.fromkeys(runs, 0)
    for start in range(0, len(chunks), block):
        for name, recognizer in recognizers.items():
            for chunk in chunks[start : start + block]:
                started = time.perf_counter()
                update = recognizer.accept(chunk)
                timings[name].add((time.perf_counter() - started) * 1000.0, recognizer.stage_ms)
                words[name] += sum(len(s.text.split()) for s in update.finals)
    rows = {
        name: {**timings_summary(t, prepared.config.chunk_seconds), "words": words[name]}
        for name, t in timings.items()
    }
    none = rows["none"]["stages_mean_ms"]["search"]
    for row in rows.values():
        row["search_ratio"] = row["stages_mean_ms"]["search"] / none
    return rows


def load_model(spec: str, quantize: str, threads: int = 1) -> AsrModel:
    """A model directory (any engine's) or catalog name, loaded as the app loads it (a torch
    engine sets torch's threads as it loads: its default, one a core, stalls beside any
    other busy thread)."""
    run = RunOptions(threads, "int8" if quantize == "int8" else "none", "cpu")
    directory = model_directory(spec)
    return engine_for(directory)(directory, run)


def spoken(clip: np.ndarray) -> np.ndarray:
    """The clip from its first to its last 10 ms frame within ``SOUND_FLOOR_DB`` of its
    loudest: espeak-ng pads a word with silence, and some voices (``+m2``) with a faint
    tail (trimming zero samples put a fifth of the word ends late, by up to 0.4 s)."""
    frame = round(FRAME_S * SAMPLE_RATE)
    frames = clip[: len(clip) // frame * frame].reshape(-1, frame)
    level = 10 * np.log10(np.mean(frames**2, axis=1) + 1e-12)
    loud = np.flatnonzero(level > level.max() - SOUND_FLOOR_DB)
    return clip[loud[0] * frame : (loud[-1] + 1) * frame]


@dataclasses.dataclass(frozen=True)
class TimedSpeech:
    """Speech with each word's start and end known (seconds from the start of ``samples``)."""

    words: list[str]
    samples: np.ndarray
    word_times: list[tuple[float, float]]


def timed_speech(count: int, seed: int = FELT_SEED) -> TimedSpeech:
    """``count`` sentences of the tiny models' words, each spoken word by word in its
    sentence's voice, ``WORD_GAP_S`` apart, each sentence after a pause."""
    utterances = make_utterances(count, seed)
    sentences = [u.text.split() for u in utterances]
    singles = [
        Utterance(word, u.voice, u.speed, u.pitch)
        for u, words in zip(utterances, sentences, strict=True)
        for word in words
    ]
    clips = iter([spoken(to_float(clip)) for clip in synthesize_many(singles)])
    gap = np.zeros(round(WORD_GAP_S * SAMPLE_RATE), dtype=np.float32)
    pause = np.zeros(round(PAUSE_S * SAMPLE_RATE), dtype=np.float32)
    pieces, times, length = [], [], 0
    for words in sentences:
        pieces.append(pause)
        length += len(pause)
        for clip in (next(clips) for _ in words):
            pieces += [clip, gap]
            times.append((length / SAMPLE_RATE, (length + len(clip)) / SAMPLE_RATE))
            length += len(clip) + len(gap)
    pieces.append(pause)
    return TimedSpeech([s.text for s in singles], np.concatenate(pieces), times)


@dataclasses.dataclass(frozen=True)
class Delays:
    """Per word matched: seconds from its end to the first partial showing it, to its line."""

    to_partial: list[float]
    to_final: list[float]


@dataclasses.dataclass(frozen=True)
class Felt:
    """One model's felt delays over :class:`TimedSpeech`: with the compute measured here
    (``felt``) and with none (``model``: what chunking, look-ahead and endpointing cost on
    any machine); ``word_time_lag``: the engine's word end minus the true one (what the
    live pane's figures leave out); ``shown``: the words matched, and when each was shown
    (compute measured), beside the spoken word they matched."""

    chunk_s: float
    compute_ms: list[float]
    words: int
    felt: Delays
    model: Delays
    word_time_lag: list[float]
    shown: list[tuple[ShownWord, tuple[float, float]]]


def felt_delays(model: AsrModel, speech: TimedSpeech) -> Felt:
    """Decode ``speech`` chunk by chunk as a live capture hands it over, then place each
    step on a simulated clock (a chunk is there at its end on the audio's time line;
    decoding starts then, or when the chunk before is done) and time the words shown
    that match the spoken ones (same text, in order) from their ends."""
    hop, chunk_s = model.format.chunk_samples, model.format.chunk_seconds
    if model.format.sample_rate != SAMPLE_RATE:
        raise SystemExit(f"this bench speaks at {SAMPLE_RATE} Hz; the model takes another rate")
    samples = np.pad(speech.samples, (0, -len(speech.samples) % hop))
    chunks = [samples[start : start + hop] for start in range(0, len(samples), hop)]
    stream = model.create_stream(DecodeOptions())
    steps = [stream.accept(chunk, index) for index, chunk in enumerate(chunks)]
    started = time.perf_counter()
    last = stream.finish()
    steps.append(StepResult("", last, (time.perf_counter() - started) * 1000.0))
    ready = [min(index + 1, len(chunks)) * chunk_s for index in range(len(steps))]
    done, measured = 0.0, []
    for at, step in zip(ready, steps, strict=True):
        done = max(done, at) + step.compute_ms / 1000.0
        measured.append(done)
    shown, without_compute = _shown(steps, measured), _shown(steps, ready)
    matcher = SequenceMatcher(None, [w.text for w in shown], speech.words, autojunk=False)
    pairs = [
        (block.a + offset, block.b + offset)
        for block in matcher.get_matching_blocks()
        for offset in range(block.size)
    ]
    ends = [end for _, end in speech.word_times]

    def delays(words: list[ShownWord]) -> Delays:
        return Delays(
            [words[a].partial_at - ends[b] for a, b in pairs],
            [words[a].final_at - ends[b] for a, b in pairs],
        )

    return Felt(
        chunk_s,
        [step.compute_ms for step in steps[:-1]],
        len(speech.words),
        delays(shown),
        delays(without_compute),
        [shown[a].end - ends[b] for a, b in pairs if shown[a].end is not None],
        [(shown[a], speech.word_times[b]) for a, b in pairs],
    )


def _shown(steps: Sequence[StepResult], times: Sequence[float]) -> list[ShownWord]:
    """The words of the final lines, each step shown at its time."""
    clock = WordClock()
    return [
        word
        for step, at in zip(steps, times, strict=True)
        for word in clock.update(at, step.partial, step.finals)
    ]


def felt_row(name: str, engine: str, felt: Felt) -> dict[str, Any]:
    """p50/p95 of each delay beside the per-chunk compute (None: the model matched fewer
    than ``MIN_MATCHED`` of the words)."""
    recognised = len(felt.felt.to_final) >= MIN_MATCHED * felt.words

    def quantiles(values: list[float]) -> dict[str, float | None]:
        return {
            f"p{q}": round(percentile(values, q), 2) if recognised and values else None
            for q in (50, 95)
        }

    return {
        "model": name,
        "engine": engine,
        "chunk_s": round(felt.chunk_s, 3),
        "compute_ms": {f"p{q}": round(percentile(felt.compute_ms, q), 1) for q in (50, 95)},
        "rtf": round(sum(felt.compute_ms) / 1000 / (len(felt.compute_ms) * felt.chunk_s), 3),
        "words_matched": f"{len(felt.felt.to_final)}/{felt.words}",
        "to_partial_s": quantiles(felt.felt.to_partial),
        "to_final_s": quantiles(felt.felt.to_final),
        "model_to_partial_s": quantiles(felt.model.to_partial),
        "model_to_final_s": quantiles(felt.model.to_final),
        "word_time_lag_s": quantiles(felt.word_time_lag),
    }


def run_felt(
    specs: Sequence[str], sentences: int, quantize: str, threads: int = 1
) -> list[dict[str, Any]]:
    speech = timed_speech(sentences)
    rows = []
    for spec in specs:
        model = load_model(spec, quantize, threads)
        rows.append(felt_row(Path(spec).name or spec, model.engine, felt_delays(model, speech)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=["base", "small"], default="base")
    parser.add_argument("--beam", type=int, default=10, help="same width for both (seed: 10)")
    parser.add_argument("--seconds", type=float, default=60.0, help="audio for the short run")
    parser.add_argument("--long-minutes", type=float, default=0.0, help="long run of ours")
    parser.add_argument("--reference-minutes", type=float, default=0.0, help="long reference run")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--seed-beam", type=int, help="the reference's beam width, if not --beam (seed default: 10)"
    )
    parser.add_argument(
        "--quantize",
        choices=QUANTIZE_MODES,
        default=DEFAULT_QUANTIZE,
        help=f"ours and the felt delay's models; the seed is fp32 (default: the app's, "
        f"{DEFAULT_QUANTIZE})",
    )
    parser.add_argument(
        "--blank-bias", type=float, help="override the random model's blank bias (token rate)"
    )
    parser.add_argument(
        "--uncompiled",
        action="store_true",
        help="ours with the streaming step in Python, to show what compiling it gains",
    )
    parser.add_argument(
        "--turn-seconds",
        type=float,
        default=4.0,
        help="audio each pipeline decodes per turn in the side-by-side run (default: 4)",
    )
    parser.add_argument(
        "--hotwords",
        type=int,
        default=0,
        help="also time ours with this many hotwords against none (e.g. 100)",
    )
    parser.add_argument(
        "--model",
        action="append",
        dest="models",
        metavar="DIR_OR_NAME",
        help="felt delay of this model, any engine's (repeat it; default: the tiny Emformer "
        "and the tiny CTC)",
    )
    parser.add_argument("--sentences", type=int, default=40, help="sentences for the felt delay")
    parser.add_argument("--felt-only", action="store_true", help="only the felt delay")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    configure_threads(args.threads)

    results: dict[str, Any] = {}
    if not args.felt_only:
        with tempfile.TemporaryDirectory() as work:
            model_dir = Path(work) / "model"
            bias = BLANK_BIAS[args.size] if args.blank_bias is None else args.blank_bias
            make_random_model(model_dir, args.size, blank_bias=bias)
            files = load_model_dir(model_dir)  # the reference reads its files: keep them
            minutes = max(args.seconds / 60, args.long_minutes, args.reference_minutes)
            config = files.config
            chunks = speech_chunks(
                Path(work), minutes * 60, config.chunk_samples, config.sample_rate
            )
            results = run_all(args, files, chunks)
    models = args.models or [str(directory) for directory in TINY_MODELS]
    results["felt"] = run_felt(models, args.sentences, args.quantize, args.threads)
    report(results, args.json)


def run_all(
    args: argparse.Namespace, files: ModelFiles, chunks: list[np.ndarray]
) -> dict[str, Any]:
    config = files.config

    def first(minutes: float) -> list[np.ndarray]:
        return chunks[: round(minutes * 60 / config.chunk_seconds)]

    params = sum(p.numel() for p in files.model.parameters())
    results: dict[str, Any] = {"size": args.size, "params_m": round(params / 1e6, 1)}
    results["beam"] = args.beam
    results["seed_beam"] = args.seed_beam or args.beam
    results["quantize"] = args.quantize
    results["blank_bias"] = BLANK_BIAS[args.size] if args.blank_bias is None else args.blank_bias
    prepared = prepare_model(files, args.quantize)
    if args.uncompiled:
        prepared = dataclasses.replace(prepared, search=None)
    results["compiled"] = not args.uncompiled
    ours_timings, reference_timings, token_rate = run_side_by_side(
        files,
        prepared,
        args.beam,
        first(args.seconds / 60),
        args.seed_beam or args.beam,
        max(1, round(args.turn_seconds / config.chunk_seconds)),
    )
    ours, reference = (
        timings_summary(ours_timings, config.chunk_seconds),
        timings_summary(reference_timings, config.chunk_seconds),
    )
    results["short"] = {
        "seconds": args.seconds,
        "ours": ours,
        "reference": reference,
        "reference_tokens_per_s": round(token_rate, 1),
        "speedup_p50": reference["p50"] / ours["p50"],
        "speedup_p95": reference["p95"] / ours["p95"],
    }
    if args.hotwords:
        results["hotwords"] = run_hotword_cost(
            prepared,
            args.beam,
            first(args.seconds / 60),
            args.hotwords,
            max(1, round(args.turn_seconds / config.chunk_seconds)),
        )
    if args.long_minutes:
        long_times, finals = run_ours(prepared, args.beam, first(args.long_minutes))
        long = summary(long_times, config.chunk_seconds)
        results["long_ours"] = {
            "minutes": args.long_minutes,
            **long,
            "segments": finals,
            "last_over_first": long["last_min_p50"] / long["first_min_p50"],
        }
    if args.reference_minutes:
        ref_long = summary(
            run_reference(files, args.beam, first(args.reference_minutes)), config.chunk_seconds
        )
        results["long_reference"] = {
            "minutes": args.reference_minutes,
            **ref_long,
            "last_over_first": ref_long["last_min_p50"] / ref_long["first_min_p50"],
        }
    return results


def report(results: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps(results, indent=2))
        return
    if "short" in results:
        report_compute(results)
    report_felt(results["felt"])


def report_felt(rows: list[dict[str, Any]]) -> None:
    print(
        "felt delay, s from a word's end to the first partial showing it / to its final line "
        "(p50, p95), words spoken one by one; compute: as measured here, or none (the "
        "model's own); lag: the engine's word end minus the true one"
    )
    print(f"{'':>57} | {'compute measured':^23} | {'no compute':^23} |")
    print(
        f"{'model':>18} {'engine':>6} {'chunk':>5} {'compute ms':>11} {'RTF':>5} "
        f"{'matched':>7} | {'partial':>11} {'line':>11} | {'partial':>11} {'line':>11} | "
        f"{'lag':>11}"
    )

    def pair(q: dict[str, float | None]) -> str:
        return "-" if q["p50"] is None else f"{q['p50']:.2f} {q['p95']:.2f}"

    for row in rows:
        compute = row["compute_ms"]
        print(
            f"{row['model'][:18]:>18} {row['engine']:>6} {row['chunk_s']:5.2f} "
            f"{compute['p50']:5.1f} {compute['p95']:5.1f} {row['rtf']:5.2f} "
            f"{row['words_matched']:>7} | {pair(row['to_partial_s']):>11} "
            f"{pair(row['to_final_s']):>11} | {pair(row['model_to_partial_s']):>11} "
            f"{pair(row['model_to_final_s']):>11} | {pair(row['word_time_lag_s']):>11}"
        )
        if row["to_final_s"]["p50"] is None:
            print(
                f"{'':>18} too few words matched: no felt delay (a model with random "
                "weights spells nonsense; this speech is English)"
            )


def report_compute(results: dict[str, Any]) -> None:
    reference, ours = results["short"]["reference"], results["short"]["ours"]
    print(
        f"model: {results['size']} ({results['params_m']} M parameters); ours: beam "
        f"{results['beam']}, {results['quantize']}, "
        f"{'compiled' if results['compiled'] else 'uncompiled'} search; "
        f"reference: beam {results['seed_beam']}, fp32"
    )
    stages = "".join(f" {stage:>9}" for stage in STAGES)
    print(f"{'':>22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'RTF':>7} |{stages} (mean ms)")
    for name, row in (("reference (seed 000)", reference), ("ours", ours)):
        means = "".join(f" {row['stages_mean_ms'][stage]:9.2f}" for stage in STAGES)
        print(
            f"{name:>22} {row['p50']:8.1f} {row['p95']:8.1f} {row['max']:8.1f} "
            f"{row['rtf']:7.3f} |{means}"
        )
    short = results["short"]
    print(f"speed-up p50 x{short['speedup_p50']:.2f}, p95 x{short['speedup_p95']:.2f}")
    print(f"reference emits {short['reference_tokens_per_s']} tokens per second of audio")
    for name, row in results.get("hotwords", {}).items():
        print(
            f"ours, {name}: p50 {row['p50']:.2f} ms, p95 {row['p95']:.2f} ms, search "
            f"{row['stages_mean_ms']['search']:.3f} ms a chunk (mean, x{row['search_ratio']:.2f}), "
            f"{row['words']} words written"
        )
    for key in ("long_ours", "long_reference"):
        if key in results:
            row = results[key]
            print(
                f"{key}: {row['minutes']} min, first-minute p50 {row['first_min_p50']:.1f} ms, "
                f"last-minute p50 {row['last_min_p50']:.1f} ms (x{row['last_over_first']:.2f})"
            )


if __name__ == "__main__":
    main()
