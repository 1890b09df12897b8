"""Options and steps shared by the headless commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
from tui_captions.errors import UserError

if TYPE_CHECKING:
    from tui_captions.asr.engine import AsrModel, DecodeOptions
    from tui_captions.audio.protocol import Source
    from tui_captions.config import Settings
    from tui_captions.pipeline.session import LabelledSource, Role

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


@dataclass
class SourceSpec:
    """A --device or --input as given, and the --label that followed it."""

    kind: str  # "device" or "input"
    value: str
    label: str | None = None


class _AddSource(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        specs = list(getattr(namespace, self.dest) or [])
        specs.append(SourceSpec(self.const, str(values)))
        setattr(namespace, self.dest, specs)


class _LabelLast(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        specs: list[SourceSpec] = getattr(namespace, "sources", None) or []
        if not specs:
            parser.error("--label goes after the --device or --input it names")
        specs[-1].label = str(values)


def _option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def add_source_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """--device and --input (each repeatable: meeting mode), --label, FFmpeg's input options."""
    parser.add_argument(
        "--device",
        dest="sources",
        action=_AddSource,
        const="device",
        metavar="D",
        help="capture device: index, exact name or unique part of a name as "
        "`captions-tui devices` lists them; repeat it to caption several at once "
        "(meeting mode)",
    )
    parser.add_argument(
        "--input",
        dest="sources",
        action=_AddSource,
        const="input",
        metavar="PATH_OR_URL",
        help="file, URL or FFmpeg input device, played in real time (repeatable, as --device)",
    )
    parser.add_argument(
        "--label",
        action=_LabelLast,
        metavar="NAME",
        help="with several sources: the label of the source given just before (default: "
        "You for an input device, Them for system audio, else the file's name)",
    )
    parser.add_argument(
        "--input-format",
        metavar="FMT",
        help="FFmpeg input format for --input, e.g. alsa, pulse, avfoundation, dshow",
    )
    parser.add_argument(
        "--input-option",
        type=_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="FFmpeg input option for --input (repeatable), e.g. sample_rate=48000",
    )


def resolve_sources(args: argparse.Namespace) -> list[LabelledSource]:
    """The sources the options name, labelled, and checked before the (slow) model load."""
    from tui_captions.audio.decode import DecodedAudio, check_input_format
    from tui_captions.audio.devices import find_device, list_devices
    from tui_captions.audio.protocol import FfmpegSource
    from tui_captions.core.names import short_name
    from tui_captions.pipeline.session import ROLE_LABELS, LabelledSource, unique_labels

    specs: list[SourceSpec] = args.sources or []
    if (args.input_format or args.input_option) and all(s.kind == "device" for s in specs):
        raise UserError("--input-format and --input-option go with --input, not --device")
    devices = list_devices() if any(s.kind == "device" for s in specs) else []
    found: list[tuple[Source, str, Role]] = []
    for spec in specs:
        if spec.kind == "device":
            device = find_device(spec.value, devices)
            role: Role = "system" if device.monitor else "microphone"
            found.append((device.source(), spec.label or ROLE_LABELS[role], role))
            continue
        source = FfmpegSource(spec.value, args.input_format, dict(args.input_option))
        check_input_format(spec.value, args.input_format)
        if args.input_format is None and "://" not in spec.value:
            # A local file: open it once here so a bad path or format fails in
            # milliseconds; devices and URLs are opened only by the worker.
            DecodedAudio(spec.value).close()
        found.append((source, spec.label or short_name(spec.value), "other"))
    labels = unique_labels([label for _, label, _ in found])
    return [
        LabelledSource(source, label, role)
        for (source, _, role), label in zip(found, labels, strict=True)
    ]


def add_watch_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--watch",
        metavar="WORD[,WORD...]",
        help="words or phrases to be told about: their lines are highlighted, with a "
        'notification and the terminal bell (jsonl: a "watch" list on such lines; '
        "default: the settings file's 'watch')",
    )


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


def load_model(args: argparse.Namespace) -> tuple[AsrModel, DecodeOptions, Settings]:
    """The model as the options and settings say (threads, download with a progress bar,
    quantization), how its streams decode, and the settings for the rest."""
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
        return open_for_running(args.model, progress, run, decode), decode, settings
