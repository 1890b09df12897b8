"""Options and steps shared by the headless commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TransferSpeedColumn,
)

from tui_captions.asr.defaults import (
    COMPUTE_DEVICES,
    CTC_DECODERS,
    DEFAULT_BEAM,
    DEFAULT_COMPUTE,
    DEFAULT_MODEL,
    DEFAULT_QUANTIZE,
    DEFAULT_THREADS,
    LM_NAMES,
    MODEL_NAMES,
    QUANTIZE_MODES,
    DownloadProgress,
)
from tui_captions.asr.endpointing import DEFAULT_ENDPOINT_SILENCE_S, DEFAULT_MAX_SEGMENT_S

if TYPE_CHECKING:
    from tui_captions.asr.engine import AsrModel, DecodeOptions

stderr = Console(stderr=True)


def warn(message: str) -> None:
    """A problem that does not stop the command: one line on stderr, work goes on."""
    print(f"captions-tui: warning: {message}", file=sys.stderr, flush=True)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {text}")
    return value


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        metavar="NAME|PATH",
        help=f"model name ({', '.join(MODEL_NAMES)}) or a model directory "
        f"(default: {DEFAULT_MODEL}, downloaded on first use)",
    )
    parser.add_argument(
        "--beam",
        type=positive_int,
        default=DEFAULT_BEAM,
        metavar="N",
        help=f"beam width of the RNN-T search (default: {DEFAULT_BEAM})",
    )
    parser.add_argument(
        "--decoder",
        choices=CTC_DECODERS,
        help="CTC models (wav2vec2): greedy, or lexicon + KenLM beam search (needs the "
        "'lm' extra and a lexicon; default: the model directory's choice)",
    )
    parser.add_argument(
        "--lm",
        choices=LM_NAMES,
        help="CTC beam decoder: fetch this LibriSpeech lexicon and language model on "
        "first use instead of the model directory's",
    )
    parser.add_argument(
        "--endpoint-silence",
        type=seconds,
        metavar="S",
        help="seconds without new words that end a line (default: the settings file's "
        f"'endpoint_silence', else {DEFAULT_ENDPOINT_SILENCE_S:g})",
    )
    parser.add_argument(
        "--max-segment",
        type=seconds,
        metavar="S",
        help="longest line in seconds of speech, then it ends anyway (default: the settings "
        f"file's 'max_segment', else {DEFAULT_MAX_SEGMENT_S:g})",
    )
    parser.add_argument(
        "--threads",
        type=positive_int,
        default=DEFAULT_THREADS,
        metavar="N",
        help=f"torch intra-op threads (default: {DEFAULT_THREADS}; more rarely helps)",
    )
    parser.add_argument(
        "--compute",
        choices=COMPUTE_DEVICES,
        default=DEFAULT_COMPUTE,
        help=f"where the model runs (default: {DEFAULT_COMPUTE})",
    )
    parser.add_argument(
        "--quantize",
        choices=QUANTIZE_MODES,
        help="int8: dynamic int8 weights, several times faster on a CPU; none: the stored "
        "weights, exact (default: the settings file's 'quantize', else "
        f"{DEFAULT_QUANTIZE} on the CPU and none on CUDA)",
    )


@contextmanager
def download_progress() -> Iterator[DownloadProgress]:
    """A rich progress bar on stderr that appears only if a download actually happens."""
    progress: Progress | None = None
    tasks: dict[str, TaskID] = {}

    def update(label: str, done: int, total: int | None) -> None:
        nonlocal progress
        if progress is None:
            progress = Progress(
                TextColumn("downloading {task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=stderr,
            )
            progress.start()
        if label not in tasks:
            tasks[label] = progress.add_task(label, total=total)
        progress.update(tasks[label], completed=done, total=total)

    try:
        yield update
    finally:
        if progress is not None:
            progress.stop()


def load_model(args: argparse.Namespace) -> tuple[AsrModel, DecodeOptions]:
    """The model as the options and settings say (threads, download with a progress bar,
    quantization), and how its streams decode."""
    from tui_captions.asr.registry import open_for_running
    from tui_captions.config import load_settings

    settings, problem = load_settings()
    if problem:
        warn(problem)
    run = settings.run_options(args.threads, args.quantize, args.compute)
    decode = settings.decode_options(
        args.beam, args.endpoint_silence, args.max_segment, args.decoder, args.lm
    )
    with download_progress() as progress:
        return open_for_running(args.model, progress, run, decode), decode
