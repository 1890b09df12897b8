"""A captioning session: its channels (one per source), its journal and its figures.

The app and ``live`` both run on it, so what a session is lives in one place:
each final segment gets the session's id and its channel and its readable
form (the post-processor: punctuation and capitals, reading the line after
that source's previous ones); each channel keeps its latency figures; closing
stops every channel and ends the journal with their statistics. Events come
from the channels' inference threads; :meth:`CaptionSession.accept` runs on
the front end's own thread, so the journal's fsync never delays recognition.
It fans each event out to the session's sinks
(:class:`tui_captions.core.sinks.SessionSink`), so what a final line or a
partial becomes is decided here, once: first the journal
(:class:`tui_captions.transcript.journal.JournalSink`, which writes and
fsyncs the line with both its words and its readable form), then the front
end's (the app's screen and the app, ``live``'s printer) and the web page.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from tui_captions.audio.devices import CaptureDevice
from tui_captions.audio.protocol import Camera, FfmpegSource, Source
from tui_captions.core.events import (
    LiveEvent,
    RecognizerUpdate,
    SourceEnded,
    SourceQuiet,
    SourceStarted,
)
from tui_captions.core.segments import Segment
from tui_captions.core.sinks import Partial, SessionSink
from tui_captions.core.stats import LiveStats
from tui_captions.errors import UserError
from tui_captions.pipeline.echo import EchoGuard
from tui_captions.pipeline.speakers import ShownLines
from tui_captions.speakers.lines import Labels
from tui_captions.text.postprocess import RuleCaser, TextContext, TextPostProcessor
from tui_captions.transcript.journal import JournalSink, SessionJournal, Stats, WarningHandler

_log = logging.getLogger(__name__)
ChannelId = str
"""Names a channel in the journal and on each segment; "" for a session's only source,
else the source's label ("You", "Them")."""

Role = Literal["microphone", "system", "other"]
"""What a source hears: a microphone (the room, speakers included), system audio, or else."""


@dataclass(frozen=True)
class LabelledSource:
    """A source of the session with the label its lines carry and what it hears."""

    source: Source
    label: str
    role: Role


ROLE_LABELS: dict[Role, str] = {"microphone": "You", "system": "Them", "other": "Source"}


def unique_labels(labels: list[str]) -> list[str]:
    """The same label twice becomes "You", "You 2"."""
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label} {seen[label]}")
    return unique


def labelled_devices(devices: list[CaptureDevice]) -> list[LabelledSource]:
    """Picked devices as sources: an input device is "You", system audio "Them"."""
    roles: list[Role] = ["system" if d.monitor else "microphone" for d in devices]
    labels = unique_labels([ROLE_LABELS[role] for role in roles])
    return [
        LabelledSource(device.source(), label, role)
        for device, label, role in zip(devices, labels, roles, strict=True)
    ]


def only(source: Source) -> tuple[LabelledSource]:
    """A session of one source: its channel is "", named after the source."""
    return (LabelledSource(source, source.label, "other"),)


def beside(sources: list[LabelledSource], camera: Camera) -> list[LabelledSource]:
    """``camera`` paired with the one source it goes with."""
    if len(sources) != 1:
        raise UserError("a camera goes beside one source (the speaker's microphone or stream)")
    (labelled,) = sources
    return [
        dataclasses.replace(labelled, source=dataclasses.replace(labelled.source, camera=camera))
    ]


def for_model(sources: list[LabelledSource], wants_video: bool) -> list[LabelledSource]:
    """The sources as the model reads them: an audio-visual model takes a file's own video
    or a camera beside the microphone; a pairing that cannot work is refused now, before
    anything starts."""
    paired = []
    for labelled in sources:
        source = labelled.source
        if not wants_video and source.camera is not None:
            raise UserError(
                "--camera needs an audio-visual model (--model avsr-device, or a directory of "
                "its two files); this model hears only"
            )
        if wants_video and source.camera is None:
            if not isinstance(source, FfmpegSource):
                raise UserError(
                    f"{source.label}: an audio-visual model reads the speaker's face: add "
                    "--camera DEVICE beside the microphone, or give a video file (--input)"
                )
            source = dataclasses.replace(source, video=True)
        paired.append(dataclasses.replace(labelled, source=source))
    return paired


def channel_ids(sources: list[LabelledSource]) -> list[ChannelId]:
    """One source: the session's only channel, ""; several: each by its label."""
    return [""] if len(sources) == 1 else [s.label for s in sources]


class ChannelEngine(Protocol):
    """A channel's capture and recognition (:class:`tui_captions.pipeline.channel.LiveEngine`)."""

    @property
    def position(self) -> int:
        """Where its next chunk goes on the session's time line, in chunks."""
        ...

    def start(self, source: Source, at: int, origin: float | None = None) -> None: ...

    def stop(self) -> None: ...


@dataclass
class Channel:
    """One source's pipeline in the session: its engine, its label and its figures."""

    id: ChannelId
    label: str
    engine: ChannelEngine
    stats: LiveStats
    role: Role = "other"
    echo_dropped: int = 0


# How long closing waits for each labeller to label the audio it still holds.
LABELS_FINISH_S = 5.0


class ReadableLines:
    """The text step of final lines: each made readable after its source's earlier ones
    (the context a punctuation model reads); live captioning and ``transcribe`` share it."""

    def __init__(self, post: TextPostProcessor) -> None:
        self.post = post
        self._before: dict[ChannelId, TextContext] = {}  # per source: what it said last

    def final(self, channel_id: ChannelId, text: str) -> str:
        """The line made readable after its source's earlier (shown) lines."""
        before = self._before.setdefault(channel_id, TextContext())
        display = self.post.final(text, before)
        before.add(text, display)
        return display


class CaptionSession:
    """Channels on one transcript; the journal opens with the first final line, or when
    :attr:`journal` is first asked for (``live`` opens it at once, to record beside it)."""

    def __init__(
        self,
        model_name: str,
        *,
        directory: Path | None = None,
        on_warning: WarningHandler | None = None,
        post: TextPostProcessor | None = None,
    ) -> None:
        self.model_name = model_name
        self._lines = ReadableLines(post or RuleCaser())
        self.sinks: list[SessionSink] = []
        """Where each event goes once the session has handled it, in subscription order;
        the journal's sink is first from when the journal opens."""
        self._partials: dict[ChannelId, Partial] = {}  # per channel: the text last handed on
        self.channels: dict[ChannelId, Channel] = {}
        self._directory = directory
        self._on_warning = on_warning
        self._journal: SessionJournal | None = None
        self._next_id = 0
        self._echo = EchoGuard()
        self._origin: float | None = None  # monotonic time of the time line's zero
        self._journaled: set[ChannelId] = set()  # channels the journal has been told of
        self._speakers: dict[ChannelId, ShownLines] = {}  # channels whose speakers are labelled

    @property
    def post(self) -> TextPostProcessor:
        """Makes each line readable; the app swaps in the model once it has loaded."""
        return self._lines.post

    @post.setter
    def post(self, post: TextPostProcessor) -> None:
        self._lines.post = post

    def subscribe(self, sink: SessionSink) -> None:
        """Hand ``sink`` every event from now on, after the sinks before it."""
        self.sinks.append(sink)

    def add_channel(
        self,
        channel_id: ChannelId,
        label: str,
        engine: ChannelEngine,
        chunk_seconds: float,
        role: Role = "other",
        labeller: Labels | None = None,
    ) -> Channel:
        """A channel whose ``engine`` delivers its events to the front end, which passes
        them to :meth:`accept` with ``channel_id``; with a ``labeller`` (hearing the
        engine's audio: :class:`tui_captions.pipeline.speakers.ListenedStream`) its lines
        carry their speaker, and the sinks get a ``speaker`` update when one comes later."""
        channel = Channel(channel_id, label, engine, LiveStats(chunk_seconds), role)
        self.channels[channel_id] = channel
        self.label_speakers(channel_id, labeller)
        if self._journal is not None and channel_id not in self._journaled:
            self._journal.add_channel(channel_id, label)
            self._journaled.add(channel_id)
        return channel

    def rename_speaker(self, channel_id: ChannelId, speaker: str, name: str) -> None:
        """Name the channel's ``speaker`` for the whole session (journaled, then shown)."""
        if self._journal is None:
            self.open_journal(self._labels())
        self._fan_out(lambda sink: sink.renamed(channel_id, speaker, name))

    def label_speakers(self, channel_id: ChannelId, labeller: Labels | None) -> None:
        """From now on the channel's lines carry speakers from ``labeller`` (None: none;
        the labels its earlier lines were given stay)."""
        self._speakers.pop(channel_id, None)
        if labeller is not None:
            self._speakers[channel_id] = ShownLines(labeller)

    @property
    def position(self) -> int:
        """The session clock, in chunks: as far as its furthest channel has got. A channel
        (re)started now begins here, so every channel's times are session times; paused
        time, with no channel running, does not count, as on a recording."""
        return max((c.engine.position for c in self.channels.values()), default=0)

    def start(self, channel_id: ChannelId, source: Source) -> None:
        """Caption ``source`` on the channel (after stopping what it captioned before);
        the only channel takes the source's name, a labelled one keeps its label."""
        channel = self.channels[channel_id]
        channel.engine.stop()
        if not channel_id:
            channel.label = source.label
        origin = None
        if len(self.channels) > 1:  # one time line: placed by capture time
            if self._origin is None:
                self._origin = time.monotonic() - self.position * channel.stats.chunk_seconds
            origin = self._origin
        _log.debug("channel %r: captioning %s", channel_id, source.label)
        channel.engine.start(source, at=self.position, origin=origin)

    def stop(self, channel_id: ChannelId) -> None:
        """Stop the channel's capture; its last words still arrive as a ``SourceEnded``."""
        self.channels[channel_id].engine.stop()

    def accept(
        self, channel_id: ChannelId, event: LiveEvent, current: bool = True
    ) -> tuple[Segment, ...]:
        """Take an event of the channel in: its figures are counted, its final segments
        numbered, labelled and handed to every sink, the journal first (and returned).

        Then the sinks get the rest of the event: its figures, its partial text (made
        readable here, once, when it changed), or that the source started, went quiet or
        ended. An event that is not ``current`` (of a source the channel has since
        replaced) hands on its final lines only: they are never lost; when it ends, the
        partial the sinks were shown is handed on as emptied, as its words are final now.

        With a microphone and system audio in one session, a microphone line that
        repeats the system audio's is not shown: the sinks get it as an ``echo`` (the
        journal keeps it marked, exports leave it out unless asked), it is not returned,
        and it is counted in the figures as ``echo_dropped``.
        """
        channel = self.channels[channel_id]
        if isinstance(event, RecognizerUpdate):
            channel.stats.add(event)
            if channel.role == "system":
                now = channel.engine.position * channel.stats.chunk_seconds
                self._echo.saying(channel_id, event.partial, now)
        elif isinstance(event, SourceEnded):
            channel.stats.ended(event)
        elif isinstance(event, SourceQuiet):
            channel.stats.quiet()
        if isinstance(event, (SourceQuiet, SourceEnded)) and channel.role == "system":
            self._echo.quiet(channel_id)
        finals = () if isinstance(event, SourceStarted) else self._finals(channel, event.finals)
        for line in finals:
            if line.echo:
                self._fan_out(lambda sink: sink.echo(line))  # noqa: B023 (called at once)
            else:
                self._fan_out(lambda sink: sink.final(line))  # noqa: B023 (called at once)
        self._relabel(channel_id)
        if isinstance(event, (SourceQuiet, SourceEnded)):
            shown = self._partials.pop(channel_id, None)
            if not current and shown is not None and shown.words:
                emptied = Partial(channel_id, shown.seq, "", "")
                self._fan_out(lambda sink: sink.partial(emptied))
        if current:
            self._hand_on(channel_id, event)
        return tuple(line for line in finals if not line.echo)

    def _hand_on(self, channel_id: ChannelId, event: LiveEvent) -> None:
        """The sinks get what the event says besides its final lines."""
        if isinstance(event, SourceStarted):
            self._fan_out(lambda sink: sink.started(channel_id, event))
        elif isinstance(event, RecognizerUpdate):
            self._fan_out(lambda sink: sink.update(channel_id, event))
            if event.partial != self._partial(channel_id).words:
                text = self.post.partial(event.partial)
                partial = Partial(channel_id, event.seq, event.partial, text)
                self._partials[channel_id] = partial
                self._fan_out(lambda sink: sink.partial(partial))
        elif isinstance(event, SourceQuiet):
            self._fan_out(lambda sink: sink.quiet(channel_id))
        else:
            self._fan_out(lambda sink: sink.ended(channel_id, event))

    def _relabel(self, channel_id: ChannelId, final: bool = False) -> None:
        """Hand on the channel's shown lines whose speaker came or changed since; labelling
        that stopped is said once (captions go on without it) and its lines let go."""
        shown = self._speakers.get(channel_id)
        if shown is None:
            return
        failed = shown.labeller.failed
        for line in shown.changes(final or failed):
            self._fan_out(lambda sink: sink.speaker(line))  # noqa: B023 (called at once)
        if failed:
            del self._speakers[channel_id]  # no label comes: nothing to keep, nothing to split
            shown.labeller.finish(timeout=0)  # its thread ends
            if self._on_warning is not None:
                lead = f"{self.channels[channel_id].label}: " if channel_id else ""
                self._on_warning(
                    f"{lead}speaker labels stopped (the log file says why); captions go on"
                )

    def _partial(self, channel_id: ChannelId) -> Partial:
        return self._partials.get(channel_id) or Partial(channel_id, 0, "", "")

    def _fan_out(self, deliver: Callable[[SessionSink], None]) -> None:
        """``deliver`` to every sink; one that fails is logged and the others still get it."""
        for sink in self.sinks:
            try:
                deliver(sink)
            except Exception:
                _log.exception("%s failed; the other sinks go on", type(sink).__name__)

    def _finals(self, channel: Channel, segments: tuple[Segment, ...]) -> tuple[Segment, ...]:
        """The channel's final segments split where the speaker changes (speaker labels),
        numbered, labelled, made readable, an echo marked;
        the journal opens with the first (its sink first: it gets every line)."""
        if not segments:
            return ()
        if self._journal is None:
            self.open_journal(self._labels())
        channel_id = channel.id
        shown = self._speakers.get(channel_id)
        finals = []
        for segment in segments:
            echo = False
            if channel.role == "system":
                self._echo.heard(segment)
            elif channel.role == "microphone" and self._echo.is_echo(segment):
                channel.echo_dropped += 1
                echo = True
            labelled = None if echo else shown  # an echo is shown by no one: no speaker
            for piece in (segment,) if labelled is None else labelled.split(segment):
                final = dataclasses.replace(
                    piece,
                    id=self._next_id,
                    channel=channel_id,
                    display="" if echo else self._lines.final(channel_id, piece.text),
                    echo=echo,
                )
                if labelled is not None:
                    labelled.keep(final)
                finals.append(final)
                self._next_id += 1
        return tuple(finals)

    @property
    def journal(self) -> SessionJournal:
        """The session's journal, opened now if it is not yet, with the channels it has."""
        if self._journal is None:
            return self.open_journal(self._labels())
        return self._journal

    def _labels(self) -> dict[ChannelId, str]:
        return {c.id: c.label for c in self.channels.values()}

    def open_journal(self, channels: dict[ChannelId, str]) -> SessionJournal:
        """Open the journal for ``channels`` (id -> label) before they are added: ``live``
        records its audio beside the journal, in a stream its channel's engine is made with."""
        assert self._journal is None, "a session has one journal"
        self._journaled = set(channels)
        self._journal = SessionJournal.create(
            source=", ".join(channels.values()),
            model=self.model_name,
            channels=channels,
            directory=self._directory,
            on_warning=self._on_warning,
        )
        self.sinks.insert(0, JournalSink(self._journal))  # first: what is shown is on disk
        _log.debug("session started: %s, journal %s", self.model_name, self._journal.path)
        return self._journal

    @property
    def final_count(self) -> int:
        """Final lines shown so far (journaled; echoes are journaled too, not counted)."""
        return self._next_id - sum(c.echo_dropped for c in self.channels.values())

    @property
    def journal_if_open(self) -> SessionJournal | None:
        return self._journal

    def stats(self) -> Stats:
        """The session's figures: its one channel's, or each channel's under its id."""
        summaries = {c.id: c.stats.summary() for c in self.channels.values()}
        if len(summaries) == 1:
            return next(iter(summaries.values()))
        for channel in self.channels.values():
            summaries[channel.id]["echo_dropped"] = channel.echo_dropped
        return {
            f"{channel}.{key}": value
            for channel, s in summaries.items()
            for key, value in s.items()
        }

    def close(self) -> SessionJournal | None:
        """Stop every channel, hand on the labels its last audio gave, and end the journal
        (if one was opened) with the figures."""
        for channel in self.channels.values():
            channel.engine.stop()
        for channel_id, shown in list(self._speakers.items()):
            shown.labeller.finish(timeout=LABELS_FINISH_S)
            self._relabel(channel_id, final=True)
        if self._journal is not None:
            self._journal.close(self.stats())
        _log.debug("session ended: %d final lines", self.final_count)
        return self._journal
