"""The transcript formats, in one registry: name, file suffix and segment writer.

Each writer emits a segment as soon as it is final, so output piped from
``transcribe`` or ``live`` is usable while the audio is still running; exports
of saved sessions go through the same writers. JSON, a whole session with its
metadata, has no streaming writer (see ``exports``).

In a session of several sources each segment's ``channel`` is its source's
label ("You", "Them"), and every format carries it: a ``You: `` prefix in
text and SRT, a WebVTT voice span, a ``source`` field in JSON. A line's
``speaker`` (speaker labels) is carried the same way: ``Speaker 1: ``, ``<v Speaker 1>``,
``Them, Speaker 1: ``, a ``speaker`` field. A session of one source ("" channel)
without speakers looks as it always did.

Subtitles (SRT, WebVTT) cut each segment into cues people can read
(:mod:`tui_captions.transcript.cues`); text and JSON lines keep whole segments.
"""

from __future__ import annotations

import html
import json
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

from tui_captions.core.segments import Segment
from tui_captions.core.timefmt import clock
from tui_captions.core.watch import watched
from tui_captions.transcript.cues import Cue, held_on, layout, timed_words


def final_event(segment: Segment, raw: bool = False) -> dict[str, Any]:
    """The ``jsonl`` event of a final segment (a contract for scripts): ``text`` is the
    readable line (the recogniser's words with ``raw``), ``raw`` the words when they differ;
    ``echo`` marks a line dropped as an echo (only exports ``--with-echo`` have them)."""
    event: dict[str, Any] = {
        "type": "final",
        "start": round(segment.start, 3),
        "end": round(segment.end, 3),
        "text": segment.shown(raw),
    }
    if event["text"] != segment.text:
        event["raw"] = segment.text
    if segment.channel:
        event["source"] = segment.channel
    if segment.speaker:
        event["speaker"] = segment.speaker
    if segment.echo:
        event["echo"] = True
    return event


def speaker_event(segment: Segment) -> dict[str, Any]:
    """The ``jsonl`` event of a final line's speaker known (or changed) after the line was
    printed: the line is the final one with the same ``start`` and ``end`` (and source)."""
    event: dict[str, Any] = {
        "type": "speaker",
        "start": round(segment.start, 3),
        "end": round(segment.end, 3),
        "speaker": segment.speaker,
    }
    if segment.channel:
        event["source"] = segment.channel
    return event


def partial_event(channel: str, seq: int, text: str) -> dict[str, Any]:
    """The ``jsonl`` event of a channel's text that may still change (``live --partials``
    prints it, the web page shows it)."""
    event: dict[str, Any] = {"type": "partial", "seq": seq, "text": text}
    if channel:
        event["source"] = channel
    return event


def voice(segment: Segment) -> str:
    """Who said it: the source when the session has several, the speaker when labelled
    (``You``, ``Speaker 2``, ``Them, Speaker 2``), or ""."""
    return ", ".join(name for name in (segment.channel, segment.speaker) if name)


def label(name: str) -> str:
    """What leads a line whose voice is known (``You: ``)."""
    return f"{name}: " if name else ""


def labelled(segment: Segment, raw: bool = False) -> str:
    """The text led by its voice's label, when the session has several or speakers."""
    return label(voice(segment)) + segment.shown(raw)


class SegmentWriter(Protocol):
    def write(self, segment: Segment) -> None: ...

    def close(self) -> None:
        """Write what was held back for the segments to come (a subtitle's last cue)."""


class TextWriter:
    """One line per segment, optionally led by its start time as ``[HH:MM:SS.mmm]``.

    Every writer writes the readable text; ``raw``: the recogniser's words."""

    def __init__(self, out: TextIO, *, raw: bool = False, timestamps: bool = False) -> None:
        self._out = out
        self._raw = raw
        self._timestamps = timestamps

    def write(self, segment: Segment) -> None:
        prefix = f"[{clock(segment.start, '.')}] " if self._timestamps else ""
        self._out.write(f"{prefix}{labelled(segment, self._raw)}\n")
        self._out.flush()

    def close(self) -> None:
        """Each line is out as soon as it is final."""


class JsonLinesWriter:
    """``watch``: lines that say one of these words get a ``"watch"`` list of them."""

    def __init__(self, out: TextIO, *, raw: bool = False, watch: tuple[str, ...] = ()) -> None:
        self._out = out
        self._raw = raw
        self._watch = watch

    def write(self, segment: Segment) -> None:
        event = final_event(segment, self._raw)
        if hits := watched(segment.text, self._watch):
            event["watch"] = hits
        self._out.write(json.dumps(event) + "\n")
        self._out.flush()

    def close(self) -> None:
        """Each line is out as soon as it is final."""


class _CueWriter(ABC):
    """Subtitles: each segment as cues people can read (:mod:`cues`), each cue written once
    the next one's start says how long it may stay up (the last one on :meth:`close`)."""

    def __init__(self, out: TextIO, *, raw: bool = False) -> None:
        self._out = out
        self._raw = raw
        self._held: Cue | None = None

    def write(self, segment: Segment) -> None:
        words = timed_words(segment, self._raw)
        # The label takes its room in either format (a WebVTT voice may be shown too).
        for cue in layout(words, label(voice(segment)), voice(segment)):
            self._release(cue.start)
            self._held = cue
        self._out.flush()

    def close(self) -> None:
        self._release(None)
        self._out.flush()

    def _release(self, next_start: float | None) -> None:
        if self._held is not None:
            self._cue(held_on(self._held, next_start))
            self._held = None

    @abstractmethod
    def _cue(self, cue: Cue) -> None: ...


class SrtWriter(_CueWriter):
    def __init__(self, out: TextIO, *, raw: bool = False) -> None:
        super().__init__(out, raw=raw)
        self._cues = 0

    def _cue(self, cue: Cue) -> None:
        self._cues += 1
        start, end = clock(cue.start, ","), clock(cue.end, ",")
        text = label(cue.channel) + "\n".join(cue.lines)
        self._out.write(f"{self._cues}\n{start} --> {end}\n{text}\n\n")


class VttWriter(_CueWriter):
    """Text and labels escaped (``&``, ``<``, ``>`` would be read as markup); a source's
    label is a voice span, which some players show before the text."""

    def __init__(self, out: TextIO, *, raw: bool = False) -> None:
        super().__init__(out, raw=raw)
        out.write("WEBVTT\n\n")
        out.flush()

    def _cue(self, cue: Cue) -> None:
        start, end = clock(cue.start, "."), clock(cue.end, ".")
        text = "\n".join(html.escape(line, quote=False) for line in cue.lines)
        if cue.channel:
            text = f"<v {html.escape(cue.channel, quote=False)}>{text}</v>"
        self._out.write(f"{start} --> {end}\n{text}\n\n")


@dataclass(frozen=True)
class TranscriptFormat:
    """``name`` for ``--format``, ``suffix`` for files; ``aliases``: other names for it."""

    name: str
    suffix: str
    writer: Callable[..., SegmentWriter] | None  # (out, raw=...); None: a whole session at once
    exported: bool  # offered by the app's save dialog
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.name, self.suffix, *self.aliases)))


REGISTRY = (
    TranscriptFormat("text", "txt", TextWriter, exported=True),
    TranscriptFormat("jsonl", "jsonl", JsonLinesWriter, exported=False),
    TranscriptFormat("srt", "srt", SrtWriter, exported=True, aliases=("subrip",)),
    TranscriptFormat("vtt", "vtt", VttWriter, exported=True, aliases=("webvtt",)),
    TranscriptFormat("json", "json", None, exported=True),
)
FORMATS = tuple(f.name for f in REGISTRY)
STREAM_FORMATS = tuple(f.name for f in REGISTRY if f.writer is not None)
EXPORT_FORMATS = tuple(f.suffix for f in REGISTRY if f.exported)
FORMAT_NAMES = tuple(name for f in REGISTRY for name in f.names)


def find_format(name: str) -> TranscriptFormat:
    """The format any of its names (``txt`` or ``text``, ``vtt`` or ``webvtt``) calls for."""
    for spec in REGISTRY:
        if name.lower() in spec.names:
            return spec
    raise ValueError(f"unknown transcript format {name!r}")


def format_of_file(path: Path) -> TranscriptFormat | None:
    """The format a file's suffix names (``talk.srt``: srt), or None for another suffix."""
    suffix = path.suffix.lstrip(".").lower()
    return next((spec for spec in REGISTRY if spec.suffix == suffix), None)


def open_writer(
    fmt: str, out: TextIO, watch: tuple[str, ...] = (), raw: bool = False
) -> SegmentWriter:
    """The streaming writer of the format named ``fmt`` (one of :data:`STREAM_FORMATS`);
    jsonl marks the lines that say a ``watch`` word; ``raw``: the recogniser's words."""
    if fmt == "jsonl":
        return JsonLinesWriter(out, raw=raw, watch=watch)
    writer = find_format(fmt).writer
    assert writer is not None, f"{fmt} has no streaming writer"
    return writer(out, raw=raw)
