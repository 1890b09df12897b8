"""``captions-tui transcribe``: a file through the streaming recognizer, as fast as it goes."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from tui_captions.commands.common import add_model_options, load_model
from tui_captions.errors import AudioSourceError
from tui_captions.transcript.formats import STREAM_FORMATS, SegmentWriter, open_writer
from tui_captions.transcript.output import check_output, written_whole

if TYPE_CHECKING:
    from tui_captions.asr.engine import AsrModel, DecodeOptions
    from tui_captions.audio.decode import DecodedAudio


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "transcribe",
        help="transcribe an audio file (any format FFmpeg reads)",
        description="Run an audio file chunk by chunk through the same streaming recognizer "
        "the live captions use, as fast as the CPU allows, and print final segments.",
    )
    parser.add_argument("audio", help="audio file or URL")
    add_model_options(parser)
    parser.add_argument("--format", choices=STREAM_FORMATS, default="text", help="output format")
    parser.add_argument("-o", "--output", type=Path, metavar="OUT", help="write here, not stdout")
    parser.add_argument(
        "--stats", action="store_true", help="print per-chunk compute figures as JSON on stderr"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    # torch is imported here, not at start-up, so `--help` and errors stay fast.
    from tui_captions.audio.decode import DecodedAudio
    from tui_captions.core.stats import compute_summary

    # A bad file or output path fails in milliseconds, before the model loads.
    audio = DecodedAudio(args.audio)
    if args.output is not None:
        check_output(args.output)
    model, decode, _ = load_model(args)
    with ExitStack() as stack:
        out: TextIO = stack.enter_context(written_whole(args.output)) if args.output else sys.stdout
        compute_ms, interrupted, failure = _transcribe(
            audio, model, decode, open_writer(args.format, out)
        )
    if args.stats:
        summary = {
            "compute": model.run.compute,
            "quantize": model.run.quantize,
            **compute_summary(compute_ms, model.format.chunk_seconds),
        }
        print(json.dumps(summary), file=sys.stderr)
    if failure is not None:
        raise failure
    return 130 if interrupted else 0


def _transcribe(
    audio: DecodedAudio, model: AsrModel, decode: DecodeOptions, writer: SegmentWriter
) -> tuple[list[float], bool, AudioSourceError | None]:
    """Decode ``audio`` to the end, a Ctrl+C or a decoding failure, writing each final line:
    per-chunk compute, whether it was interrupted, and the failure (its text is kept)."""
    from tui_captions.audio.decode import fixed_chunks

    recognizer = model.create_stream(decode)
    stream_format = model.format
    compute_ms: list[float] = []
    interrupted = False
    failure: AudioSourceError | None = None
    try:
        for chunk in fixed_chunks(
            audio.blocks(stream_format.sample_rate), stream_format.chunk_samples
        ):
            step = recognizer.accept(chunk)
            compute_ms.append(step.compute_ms)
            for segment in step.finals:
                writer.write(segment)
    except KeyboardInterrupt:
        interrupted = True
    except AudioSourceError as exc:
        if not compute_ms:  # nothing was heard: no transcript to keep
            raise
        failure = AudioSourceError(f"{exc}; the text before it was written")
    for segment in recognizer.finish():
        writer.write(segment)
    return compute_ms, interrupted, failure
