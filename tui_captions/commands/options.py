"""The command-line options the commands share: each built once, checked as it is read."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui_captions.asr.defaults import (
    COMPUTE_DEVICES,
    CTC_DECODERS,
    DEFAULT_BEAM,
    DEFAULT_COMPUTE,
    DEFAULT_MODEL,
    DEFAULT_QUANTIZE,
    DEFAULT_THREADS,
    LM_NAMES,
    QUANTIZE_MODES,
)
from tui_captions.asr.endpointing import DEFAULT_ENDPOINT_SILENCE_S, DEFAULT_MAX_SEGMENT_S
from tui_captions.speakers.catalog import SPEAKER_MODELS
from tui_captions.transcript.formats import FORMAT_NAMES, REGISTRY


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def positive_number(text: str) -> float:
    return _more_than_zero(text, "a number")


def seconds(text: str) -> float:
    return _more_than_zero(text, "seconds")


def _more_than_zero(text: str, expected: str) -> float:
    """A finite number above 0: float() also reads "inf" and "nan", which no wait can be."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a finite number more than 0, got {text}")
    return value


def listed_names(names: Sequence[str]) -> str:
    """``text, jsonl, srt or vtt``, each with its file suffix where that differs."""
    shown = [
        f"{spec.name} (.{spec.suffix})" if spec.suffix != spec.name else spec.name
        for spec in REGISTRY
        if spec.name in names
    ]
    return f"{', '.join(shown[:-1])} or {shown[-1]}" if len(shown) > 1 else shown[0]


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
        "--camera",
        metavar="DEVICE",
        help="an audio-visual model's camera, beside the --device microphone: an FFmpeg video "
        "input (/dev/video0 through v4l2 on Linux; with --camera-format avfoundation or dshow "
        "elsewhere)",
    )
    parser.add_argument(
        "--camera-format",
        metavar="FMT",
        help="FFmpeg input format of --camera (default: v4l2 for /dev/video*, else FFmpeg's guess)",
    )
    parser.add_argument(
        "--camera-option",
        type=_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="FFmpeg input option for --camera (repeatable), e.g. video_size=640x480",
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
    # Files play at real time, as a live source would; the tests whose subject is not
    # the pace play them faster (hidden: a person wants captions as the file plays).
    parser.add_argument("--input-speed", type=positive_number, default=1.0, help=argparse.SUPPRESS)


def add_watch_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--watch",
        metavar="WORD[,WORD...]",
        help="words or phrases to be told about: their lines are highlighted, with a "
        'notification and the terminal bell (jsonl: a "watch" list on such lines; '
        "default: the settings file's 'watch')",
    )


def add_output_options(
    parser: argparse.ArgumentParser, writes: Sequence[str], to_file: bool = True
) -> None:
    """``--format``, taking any name of any format (``txt`` or ``text``) so that no command
    turns down another's spelling (:func:`output_format` says which ones it writes), and
    ``-o`` (``to_file``), whose suffix names the format when ``--format`` does not."""
    default = " (default: from the -o suffix, else text)" if to_file else " (default: text)"
    parser.add_argument(
        "--format",
        type=str.lower,
        choices=FORMAT_NAMES,
        metavar="FMT",
        help=f"output format: {listed_names(writes)}{default}",
    )
    if to_file:
        parser.add_argument(
            "-o", "--output", type=Path, metavar="OUT", help="write here, not stdout"
        )


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        metavar="NAME|PATH",
        help="a model name (`captions-tui models` lists them) or a model directory "
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
        "'lm' extra and a lexicon; default: the model directory's choice); sherpa-onnx "
        "transducers: greedy, or beam search of --beam paths (the default)",
    )
    parser.add_argument(
        "--lm",
        choices=LM_NAMES,
        help="CTC beam decoder: fetch this LibriSpeech lexicon and language model on "
        "first use instead of the model directory's",
    )
    parser.add_argument(
        "--language",
        metavar="LANG",
        help="the language a multilingual model writes, e.g. fr-FR or fr (sherpa-onnx's "
        "Nemotron 3.5; default: the settings file's 'language', else the model's own "
        "choice); a model of one language takes none",
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
    add_punctuation_option(parser)
    add_hotword_options(parser)
    parser.add_argument(
        "--quantize",
        choices=QUANTIZE_MODES,
        help="int8: dynamic int8 weights, several times faster on a CPU; none: the stored "
        "weights, exact (default: the settings file's 'quantize', else "
        f"{DEFAULT_QUANTIZE} on the CPU and none on CUDA)",
    )


def add_punctuation_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    from tui_captions.text.names import BUNDLED, DEFAULT_PUNCTUATION, NO_MODEL, PUBLISHED

    parser.add_argument(
        "--punctuation",
        metavar="NAME|PATH",
        help=f"punctuation and capitals for final lines: {PUBLISHED} (the published model, "
        f"downloaded on first use), {BUNDLED} (bundled, small), a model directory, or "
        f"{NO_MODEL} (sentence case only; default: the settings file's 'punctuation', else "
        f"{DEFAULT_PUNCTUATION})",
    )


def add_hotword_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    from tui_captions.asr.hotwords import DEFAULT_HOTWORD_SCORE

    parser.add_argument(
        "--hotwords",
        metavar="PHRASE[,PHRASE...]",
        help="names and jargon the recogniser should prefer (RNN-T models), e.g. "
        '"Alice,budget review :2.5" (a phrase\'s own score after " :"; default: the '
        "settings file's 'hotwords'); watch-words are hotwords too",
    )
    parser.add_argument(
        "--hotwords-file",
        type=Path,
        metavar="FILE",
        help="more hotwords: one phrase a line, optionally followed by ' :score'",
    )
    parser.add_argument(
        "--hotword-score",
        type=positive_number,
        metavar="S",
        help="bonus per token of a hotword, in log-probability (default: the settings file's "
        f"'hotword_score', else {DEFAULT_HOTWORD_SCORE:g})",
    )
    parser.add_argument(
        "--no-watch-hotwords",
        action="store_true",
        help="watch-words stay watch-words only: the search does not prefer them",
    )


def add_serve_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--serve",
        metavar="[HOST:]PORT",
        help="also show the captions in a browser: a page at http://HOST:PORT/, an OBS "
        "overlay at /overlay and the events at /events (HOST 127.0.0.1 by default; any "
        "other address needs the token printed with the URL)",
    )


def add_video_option(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--video",
        choices=("on", "off"),
        default="on",
        help="an audio-visual model: off blanks the video (as a covered camera; to compare, "
        "or when the face is not the speaker's)",
    )


def add_raw_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--raw",
        action="store_true",
        help="the recogniser's words as it wrote them (no punctuation or capitals)",
    )


def add_speaker_options(parser: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    parser.add_argument(
        "--speakers",
        action="store_true",
        help="label who said each line (Speaker 1, Speaker 2, ...): voice activity, speaker "
        "embeddings and online clustering beside the recognizer",
    )
    parser.add_argument(
        "--speaker-model",
        metavar="NAME|PATH",
        help="the speaker model (implies --speakers, except in the app: its key's model): "
        "a published speaker-embedding model, downloaded once "
        f"({', '.join(SPEAKER_MODELS)}; the first on disk by default), or a model "
        "sherpa-onnx reads (a WeSpeaker or 3D-Speaker .onnx file, or a directory holding one)",
    )
