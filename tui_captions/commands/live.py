"""``captions-tui live``: captions from a device or FFmpeg input, printed as they become final.

The same engine as the TUI (spawned capture worker, inference thread), with
events handled on the main thread so Ctrl+C lands here: it stops the
capture, prints whatever was still partial as final, and exits 130 (SIGTERM
and SIGHUP do the same and exit 143 and 129). The end
of an input exits 0; a source that fails exits 2 with one line on stderr.
Each final segment is journaled (see ``captions-tui sessions``) before it is
printed, so a crash never loses a line that was shown.
"""

from __future__ import annotations

import argparse
import json
import queue
import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from tui_captions.commands.common import add_model_options, load_model, seconds, warn
from tui_captions.errors import AudioSourceError, UserError
from tui_captions.signals import exit_status

if TYPE_CHECKING:
    from tui_captions.asr.engine import RecognizerStream
    from tui_captions.audio.protocol import Source
    from tui_captions.core.events import LiveEvent, SourceEnded
    from tui_captions.core.stats import LiveStats
    from tui_captions.pipeline.session import CaptionSession
    from tui_captions.transcript.formats import SegmentWriter

LIVE_FORMATS = ("text", "jsonl")  # of the stream formats, those that print line by line
CHANNEL = ""  # live captions one source: the session's one channel


def _option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "live",
        help="caption a capture device or an FFmpeg input live, without the TUI",
        description="Capture from a device (see `captions-tui devices`) or anything FFmpeg "
        "reads (files play at real-time pace) and print final segments as they come. "
        "Ctrl+C stops (exit 130) after printing what was still partial; "
        "the end of an input exits 0.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--device", metavar="D", help="device index, exact name or unique part of a name"
    )
    source.add_argument("--input", metavar="PATH_OR_URL", help="file, URL or FFmpeg device")
    parser.add_argument(
        "--input-format",
        metavar="FMT",
        help="FFmpeg input format, e.g. alsa, pulse, avfoundation, dshow",
    )
    parser.add_argument(
        "--input-option",
        type=_option,
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="FFmpeg input option (repeatable), e.g. sample_rate=48000",
    )
    add_model_options(parser)
    parser.add_argument("--format", choices=LIVE_FORMATS, default="text", help="output format")
    parser.add_argument(
        "--partials", action="store_true", help="also print partial text events (jsonl only)"
    )
    parser.add_argument(
        "--stats-every",
        type=seconds,
        metavar="SECONDS",
        help="print latency/RTF/queue/drop stats this often "
        "(jsonl: stats events on stdout; text: JSON lines on stderr)",
    )
    parser.add_argument(
        "--record",
        action="store_true",
        help="also save the 16 kHz audio next to the session journal (FLAC), "
        "so `captions-tui transcribe` can redo it",
    )
    parser.set_defaults(handler=run)


def resolve_source(args: argparse.Namespace) -> Source:
    """The source the options name, checked before the (slow) model load."""
    from tui_captions.audio.decode import DecodedAudio, check_input_format
    from tui_captions.audio.devices import find_device, list_devices
    from tui_captions.audio.protocol import FfmpegSource

    if args.device is not None:
        if args.input_format or args.input_option:
            raise UserError("--input-format and --input-option go with --input, not --device")
        return find_device(args.device, list_devices()).source()
    source = FfmpegSource(args.input, args.input_format, dict(args.input_option))
    check_input_format(args.input, args.input_format)
    if args.input_format is None and "://" not in args.input:
        # A local file: open it once here so a bad path or format fails in
        # milliseconds; devices and URLs are opened only by the worker.
        DecodedAudio(args.input).close()
    return source


def run(args: argparse.Namespace) -> int:
    if args.partials and args.format != "jsonl":
        raise UserError("--partials needs --format jsonl (text output has final lines only)")
    source = resolve_source(args)  # before torch is imported: a bad source fails at once

    from tui_captions.pipeline.channel import LiveEngine
    from tui_captions.pipeline.recording import Recorder, RecordingStream
    from tui_captions.pipeline.session import CaptionSession
    from tui_captions.transcript.formats import open_writer
    from tui_captions.transcript.sessions import recording_path

    model, decode = load_model(args)
    session = CaptionSession(args.model, on_warning=warn)
    journal = session.open_journal({CHANNEL: source.label})
    stream: RecognizerStream = model.create_stream(decode)
    recorder = None
    if args.record:
        recorder = Recorder(recording_path(journal.path), model.format.sample_rate, on_warning=warn)
        stream = RecordingStream(stream, recorder)
    events: queue.Queue[LiveEvent] = queue.Queue()
    channel = session.add_channel(
        CHANNEL, source.label, LiveEngine(stream, events.put), model.format.chunk_seconds
    )
    printer = _Printer(args, open_writer(args.format, sys.stdout), sys.stdout, session)
    session.start(CHANNEL, source)
    status = 0
    try:
        try:
            ended = printer.follow(events)
        except KeyboardInterrupt as interrupt:  # Ctrl+C, SIGTERM, SIGHUP
            status = exit_status(interrupt)
            session.stop(CHANNEL)
            ended = printer.follow(events)
    finally:
        # However the session ends (a second signal included): the device is
        # released, and the journal says the session ended.
        session.close()
        if recorder is not None:
            recorder.close()
    if journal.warning is None:
        print(f"captions-tui: session {journal.id} saved in {journal.path}", file=sys.stderr)
    else:
        warn(f"session {journal.id} not saved ({journal.warning}); the output above has it")
    if args.stats_every:
        printer.stats(channel.stats)
    if ended.error is not None:
        raise AudioSourceError(ended.error)
    return status


class _Printer:
    """Turns engine events into output lines; the one place final segments go."""

    def __init__(
        self,
        args: argparse.Namespace,
        writer: SegmentWriter,
        out: TextIO,
        session: CaptionSession,
    ) -> None:
        self._writer = writer
        self._session = session
        self._out = out
        self._jsonl = args.format == "jsonl"
        self._partials = bool(args.partials)
        self._stats_every: float | None = args.stats_every
        self._partial = ""

    def follow(self, events: queue.Queue[LiveEvent]) -> SourceEnded:
        """Handle events until the session ends; returns its ``SourceEnded``."""
        from tui_captions.core.events import RecognizerUpdate, SourceEnded, SourceStarted

        next_stats = time.monotonic() + (self._stats_every or 0.0)
        while True:
            try:
                event = events.get(timeout=0.1)
            except queue.Empty:
                event = None
            if isinstance(event, SourceStarted):
                print(
                    f"captions-tui: capturing {event.description} "
                    f"(started in {event.startup_ms:.0f} ms); Ctrl+C stops",
                    file=sys.stderr,
                    flush=True,
                )
            elif isinstance(event, RecognizerUpdate):
                self._finals(event)
                if self._partials and event.partial != self._partial:
                    self._event({"type": "partial", "seq": event.seq, "text": event.partial})
                self._partial = event.partial
            elif isinstance(event, SourceEnded):
                self._finals(event)
                return event
            if self._stats_every and time.monotonic() >= next_stats:
                next_stats += self._stats_every
                self.stats(self._session.channels[CHANNEL].stats)

    def _finals(self, event: LiveEvent) -> None:
        for segment in self._session.accept(CHANNEL, event):  # journaled, then printed
            self._writer.write(segment)

    def stats(self, stats: LiveStats) -> None:
        line = {"type": "stats", **stats.summary()}
        if self._jsonl:
            self._event(line)
        else:
            print(json.dumps(line), file=sys.stderr, flush=True)

    def _event(self, event: dict[str, Any]) -> None:
        self._out.write(json.dumps(event) + "\n")
        self._out.flush()
