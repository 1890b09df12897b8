"""``captions-tui live``: captions from a device or FFmpeg input, printed as they become final.

The same engine as the TUI (spawned capture worker, inference thread), with
events handled on the main thread so Ctrl+C lands here: it stops the
capture, prints whatever was still partial as final, and exits 130 (SIGTERM
and SIGHUP do the same and exit 143 and 129). The end
of an input exits 0; a source that fails exits 2 with one line on stderr.
Each final segment is journaled (see ``captions-tui sessions``) before it is
printed, so a crash never loses a line that was shown.

Meeting mode: ``--device`` (and ``--input``) repeat; each source gets its own
capture worker and recognizer stream over the one loaded model, and a label
("You" for an input device, "Them" for system audio, ``--label`` after the
source to choose) that leads each of its lines. A source that fails is
reported and the others go on.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import sys
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

from tui_captions.commands.options import (
    add_model_options,
    add_output_options,
    add_raw_option,
    add_serve_option,
    add_source_options,
    add_speaker_options,
    add_video_option,
    add_watch_option,
    seconds,
)
from tui_captions.commands.setup import (
    load_model,
    load_post,
    output_format,
    read_settings,
    resolve_sources,
    speaker_labellers,
    speaker_model,
    warn,
)
from tui_captions.core import heap, logfile
from tui_captions.core.sinks import Partial, SessionSink
from tui_captions.errors import AudioSourceError, UserError
from tui_captions.signals import exit_status
from tui_captions.transcript.formats import STREAM_FORMATS, partial_event, speaker_event
from tui_captions.web.publish import WebSink, start_server

if TYPE_CHECKING:
    from tui_captions.core.events import LiveEvent, RecognizerUpdate, SourceEnded, SourceStarted
    from tui_captions.core.segments import Segment
    from tui_captions.core.stats import LiveStats
    from tui_captions.pipeline.session import CaptionSession
    from tui_captions.transcript.formats import SegmentWriter
    from tui_captions.transcript.journal import SessionJournal


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "live",
        help="caption a capture device or an FFmpeg input live, without the TUI",
        description="Capture from a device (see `captions-tui devices`) or anything FFmpeg "
        "reads (files play at real-time pace) and print final segments as they come. "
        "Ctrl+C stops (exit 130) after printing what was still partial; "
        "the end of an input exits 0.",
    )
    add_source_options(parser)
    add_watch_option(parser)
    add_model_options(parser)
    add_output_options(parser, STREAM_FORMATS, to_file=False)
    add_raw_option(parser)
    add_serve_option(parser)
    add_video_option(parser)
    add_speaker_options(parser)
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


def run(args: argparse.Namespace) -> int:
    args.format = output_format(args, "live", STREAM_FORMATS)  # its one name, for the printer
    if args.partials and args.format != "jsonl":
        raise UserError("--partials needs --format jsonl (text output has final lines only)")
    # Before torch is imported: a bad source fails at once.
    sources = resolve_sources(args)
    if not sources:
        raise UserError("say what to caption: --device D or --input PATH_OR_URL")
    if args.record and len(sources) > 1:
        raise UserError("--record records one source; caption several without it")
    # What fails on the engines' threads (a bug) is logged with its traceback on stderr too.
    logfile.echo_to_stderr()

    from tui_captions.pipeline.channel import LiveEngine, tapped
    from tui_captions.pipeline.recording import Recorder
    from tui_captions.pipeline.session import CaptionSession, channel_ids, for_model
    from tui_captions.pipeline.speakers import SpeakerTap
    from tui_captions.transcript.formats import open_writer
    from tui_captions.transcript.sessions import recording_path

    settings = read_settings()
    speakers = speaker_model(args, settings)
    # A taken port fails now, not after the model loads.
    server = start_server(args.serve, settings.web_clients)
    model, decode, settings = load_model(args, settings)
    sources = for_model(sources, model.format.wants_video)
    post = load_post(args.punctuation, settings, model.writing)
    heap.settle()  # the model and the modules live as long as the process
    if server is not None:
        print(f"captions-tui: captions at {server.url}", file=sys.stderr, flush=True)
    session = CaptionSession(args.model, on_warning=warn, post=post)
    # One source: the session's only channel, named after it, as ever; several: by label.
    by_channel = dict(zip(channel_ids(sources), sources, strict=True))
    journal = session.open_journal(
        {channel: s.label if channel else s.source.label for channel, s in by_channel.items()}
    )
    events: queue.Queue[tuple[str, LiveEvent]] = queue.Queue()
    recorder = None
    labellers = (
        speaker_labellers(speakers, len(by_channel), model.format.sample_rate)
        if speakers is not None
        else []
    )
    for channel, labelled in by_channel.items():
        labeller = labellers.pop(0) if labellers else None
        if args.record:
            recorder = Recorder(
                recording_path(journal.path), model.format.sample_rate, on_warning=warn
            )
        stream = tapped(
            model.create_stream(decode), recorder, SpeakerTap(labeller) if labeller else None
        )
        engine = LiveEngine(stream, _poster(events, channel))
        session.add_channel(
            channel, labelled.label, engine, model.format.chunk_seconds, labelled.role, labeller
        )
    writer = open_writer(args.format, sys.stdout, settings.watch_words(args.watch), args.raw)
    printer = _Printer(args, writer, sys.stdout, session)
    session.subscribe(printer)  # first: a line is printed before the page shows it
    if server is not None:
        session.subscribe(WebSink(server, args.raw))
    for channel, labelled in by_channel.items():
        session.start(channel, labelled.source)
    status = 0
    try:
        try:
            failures = printer.follow(events)
        except KeyboardInterrupt as interrupt:  # Ctrl+C, SIGTERM, SIGHUP
            status = exit_status(interrupt)
            for channel in session.channels:
                session.stop(channel)
            failures = printer.follow(events)
    finally:
        # However the session ends (a second signal included): the devices are
        # released, and the journal says the session ended.
        session.close()
        if recorder is not None:
            recorder.close()
        if server is not None:
            server.stop()
        writer.close()  # a subtitle's last cue, a second signal or not
    if journal.warning is None:
        print(f"captions-tui: session {journal.id} saved in {journal.path}", file=sys.stderr)
    else:
        warn(unsaved_note(journal))
    if args.stats_every:
        for channel in session.channels:
            printer.stats(channel)
    if failures:
        raise AudioSourceError("; ".join(failures))
    return status


def unsaved_note(journal: SessionJournal) -> str:
    """What a session whose journal could not all be written kept: counted, not guessed."""
    saved, said = journal.saved_lines()
    if not saved:
        return f"session {journal.id} not saved ({journal.warning}); the output above has it"
    return (
        f"session {journal.id}: {saved} of {said} lines saved in {journal.path} "
        f"({journal.warning}); the output above has them all"
    )


def _poster(
    events: queue.Queue[tuple[str, LiveEvent]], channel: str
) -> Callable[[LiveEvent], None]:
    """The engine's listener: its events, tagged with its channel, onto the one queue."""

    def post(event: LiveEvent) -> None:
        events.put((channel, event))

    return post


class _Printer(SessionSink):
    """The session's events as output lines: final segments on stdout, the rest on
    stdout (``jsonl``) or stderr; and :meth:`follow` feeds the session until the end."""

    def __init__(
        self,
        args: argparse.Namespace,
        writer: SegmentWriter,
        out: TextIO,
        session: CaptionSession,
    ) -> None:
        self._writer = writer
        self._raw = bool(args.raw)
        self._session = session
        self._out = out
        self._jsonl = args.format == "jsonl"
        self._partials = bool(args.partials)
        self._stats_every: float | None = args.stats_every
        self._ended: set[str] = set()
        self._failures: list[str] = []
        self._gone: BrokenPipeError | None = None  # stdout's reader went away (`| head`)

    def follow(self, events: queue.Queue[tuple[str, LiveEvent]]) -> list[str]:
        """Hand events to the session until every channel has ended; returns why sources
        failed. With several sources, one that fails is reported at once and the others go on.
        """
        next_stats = time.monotonic() + (self._stats_every or 0.0)
        while self._running():
            try:
                channel, event = events.get(timeout=0.1)
            except queue.Empty:
                pass
            else:
                self._session.accept(channel, event)  # journaled, then handed to the sinks
                if self._gone is not None:
                    raise self._gone
            if self._stats_every and time.monotonic() >= next_stats:
                next_stats += self._stats_every
                for each in self._session.channels:
                    self.stats(each)
        return self._failures

    def _running(self) -> set[str]:
        return {c for c in self._session.channels if c not in self._ended}

    def _lead(self, channel: str) -> str:
        return f"{self._session.channels[channel].label}: " if channel else ""

    def started(self, channel: str, event: SourceStarted) -> None:
        print(
            f"captions-tui: {self._lead(channel)}capturing {event.summary} "
            f"(started in {event.startup_ms:.0f} ms); Ctrl+C stops",
            file=sys.stderr,
            flush=True,
        )

    def final(self, segment: Segment) -> None:
        with self._writing():
            self._writer.write(segment)

    def speaker(self, segment: Segment) -> None:
        if self._jsonl:  # printed text cannot change: its lines carry the speaker known then
            with self._writing():
                self._event(speaker_event(segment))

    def update(self, channel: str, event: RecognizerUpdate) -> None:
        if self._jsonl and event.faces is not None:  # an audio-visual source
            faces = {"type": "faces", "seq": event.seq, "faces": event.faces}
            with self._writing():
                self._event(faces | ({"source": channel} if channel else {}))

    def partial(self, partial: Partial) -> None:
        if self._partials:
            with self._writing():
                self._event(partial_event(partial.channel, partial.seq, partial.shown(self._raw)))

    def ended(self, channel: str, event: SourceEnded) -> None:
        self._ended.add(channel)
        if event.error is not None:
            self._failures.append(f"{self._lead(channel)}{event.error}")
            if self._running():
                warn(f"{self._lead(channel)}{event.error}; the other sources go on")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """A closed stdout ends ``live`` (exit 141) once the other sinks have the event."""
        try:
            yield
        except BrokenPipeError as gone:
            self._gone = gone

    def stats(self, channel: str) -> None:
        stats: LiveStats = self._session.channels[channel].stats
        line = {"type": "stats", **stats.summary()}
        if channel:
            line["source"] = self._session.channels[channel].label
        if self._jsonl:
            self._event(line)
        else:
            print(json.dumps(line), file=sys.stderr, flush=True)

    def _event(self, event: dict[str, Any]) -> None:
        self._out.write(json.dumps(event) + "\n")
        self._out.flush()
