"""``captions-tui transcribe``: a file through the streaming recognizer, as fast as it goes."""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO

from tui_captions.commands.common import add_model_options, load_model
from tui_captions.transcript.formats import STREAM_FORMATS


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
    from tui_captions.audio.decode import decode_audio, fixed_chunks
    from tui_captions.core.stats import compute_summary
    from tui_captions.transcript.formats import open_writer

    model, decode, _ = load_model(args)
    recognizer = model.create_stream(decode)
    stream_format = model.format
    blocks = decode_audio(args.audio, stream_format.sample_rate)
    compute_ms: list[float] = []
    interrupted = False
    with ExitStack() as stack:
        out: TextIO = (
            stack.enter_context(args.output.open("w", encoding="utf-8"))
            if args.output
            else sys.stdout
        )
        writer = open_writer(args.format, out)
        try:
            for chunk in fixed_chunks(blocks, stream_format.chunk_samples):
                step = recognizer.accept(chunk)
                compute_ms.append(step.compute_ms)
                for segment in step.finals:
                    writer.write(segment)
        except KeyboardInterrupt:
            interrupted = True
        for segment in recognizer.finish():
            writer.write(segment)
    if args.stats:
        summary = {
            "compute": model.run.compute,
            "quantize": model.run.quantize,
            **compute_summary(compute_ms, stream_format.chunk_seconds),
        }
        print(json.dumps(summary), file=sys.stderr)
    return 130 if interrupted else 0
