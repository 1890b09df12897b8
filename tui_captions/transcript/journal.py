"""Crash-safe session journal: append-only JSON lines, one per final segment.

Nothing a user heard may be lost, so each final segment is written and
fsynced before :meth:`SessionJournal.append` returns; a ``kill -9`` keeps
every segment that was shown. The file holds a header line (format 2: with
the session's channels, one per source), one ``final`` line per segment
(the recogniser's words, ``text``; format 2: with its channel; format 3:
with its readable form, ``display``, punctuated and capitalised) and, if the
session ended normally, an ``end`` line with latency statistics. A session
without an ``end`` line was interrupted. Format 1 journals (no channels:
every segment is channel "") and format 2 (no ``display``) read as before.
A microphone's line dropped as an echo of system audio is journaled too,
marked ``"echo": true`` (journals without the mark have no echoes).
Format 4 (speaker labels): a ``final`` line may carry its ``speaker``, and a
``speaker`` line ``{"id": N, "speaker": "Speaker 2"}`` gives the final line ``N``
the speaker found (or changed) after it was written; a ``rename`` line
``{"channel": "", "speaker": "Speaker 1", "name": "Alice"}`` names a speaker for the
whole session (read back, its lines carry the name); older formats have none.

Failing storage (unwritable directory, full disk) never stops captioning:
the journal reports one warning, keeps unwritten lines in memory, retries
on every append and can be moved with :meth:`SessionJournal.save_as`.
"""

from __future__ import annotations

import bisect
import contextlib
import dataclasses
import json
import math
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tui_captions import __version__
from tui_captions.core.segments import Segment
from tui_captions.core.sinks import SessionSink
from tui_captions.errors import UserError
from tui_captions.paths import data_dir

JOURNAL_FORMAT = 4
SUFFIX = ".jsonl"
ID_ATTEMPTS = 8  # new ids tried when a journal of the same name exists (1 in 65,536 each)

Stats = Mapping[str, float | int | None]
WarningHandler = Callable[[str], None]


def sessions_dir() -> Path:
    """Where journals (and their recordings) live: user data, never deleted by us."""
    return data_dir() / "sessions"


def _new_id() -> str:
    """Sortable by start time; the random tail keeps two sessions in one second apart."""
    return f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(2)}"


def _encode(record: dict[str, Any]) -> bytes:
    return (json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n").encode()


def _finite(stats: Stats) -> dict[str, float | int | None]:
    """NaN (e.g. a percentile of no values) becomes null, so the journal is strict JSON."""
    return {
        key: None if isinstance(value, float) and not math.isfinite(value) else value
        for key, value in stats.items()
    }


class SessionJournal:
    """Writer of one session's journal. Thread-safe; ``on_warning`` runs on the appending thread."""

    def __init__(
        self, path: Path, session_id: str, header: bytes, on_warning: WarningHandler | None
    ) -> None:
        self.path = path
        self.id = session_id
        self.warning: str | None = None
        """Why lines are not on disk yet (None when everything is written)."""
        self._on_warning = on_warning
        self._warned = False
        self._lines = [header]
        self._shown: list[int] = []  # where the final lines a reader saw (no echo) are in _lines
        self._written = 0
        self._size = 0
        self._fd: int | None = None
        self._closed = False
        self._started = time.monotonic()
        self._lock = threading.Lock()

    @classmethod
    def create(
        cls,
        source: str,
        model: str,
        *,
        channels: Mapping[str, str] | None = None,
        directory: Path | None = None,
        on_warning: WarningHandler | None = None,
    ) -> SessionJournal:
        """Start a session's journal and write its header (or warn and keep it in memory).

        ``channels``: channel id -> label (default: one channel "" named ``source``). The
        file is created exclusively: a session started in the same second with the same
        random tail gets a new id instead of writing into the other's journal."""
        for _ in range(ID_ATTEMPTS):
            session_id = _new_id()
            header = _encode(
                {
                    "type": "session",
                    "format": JOURNAL_FORMAT,
                    "id": session_id,
                    "started": datetime.now().astimezone().isoformat(timespec="microseconds"),
                    "source": source,
                    "model": model,
                    "app_version": __version__,
                    "channels": [
                        {"id": channel, "label": label}
                        for channel, label in (channels or {"": source}).items()
                    ],
                }
            )
            path = (directory or sessions_dir()) / f"{session_id}{SUFFIX}"
            journal = cls(path, session_id, header, on_warning)
            if journal._claim():
                break
        with journal._lock:
            journal._flush()  # never claimed after every try: it warns, and keeps the lines
        return journal

    def add_channel(self, channel: str, label: str) -> None:
        """A source joined the session after the header was written (the app's meeting
        mode, picked mid-session): readers add it to the header's channels."""
        with self._lock:
            if not self._closed:
                self._lines.append(_encode({"type": "channel", "id": channel, "label": label}))
                self._flush()

    def append(self, segment: Segment) -> None:
        """Record a final segment durably (written and fsynced) before returning."""
        with self._lock:
            if self._closed:
                raise RuntimeError("append to a closed session journal")
            record = {
                "type": "final",
                "start": round(segment.start, 3),
                "end": round(segment.end, 3),
                "text": segment.text,
                **({"display": segment.display} if segment.display else {}),
                "id": segment.id,
                "channel": segment.channel,
                **({"echo": True} if segment.echo else {}),
                **({"words": _rounded(segment.word_times)} if segment.word_times else {}),
                **({"speaker": segment.speaker} if segment.speaker else {}),
            }
            if not segment.echo:
                self._shown.append(len(self._lines))
            self._lines.append(_encode(record))
            self._flush()

    def relabel(self, segment: Segment) -> None:
        """Record the speaker found for the line ``segment.id`` after it was written."""
        with self._lock:
            if not self._closed:
                record = {"type": "speaker", "id": segment.id, "speaker": segment.speaker}
                self._lines.append(_encode(record))
                self._flush()

    def rename(self, channel: str, speaker: str, name: str) -> None:
        """Record that the user named the channel's ``speaker`` ``name``."""
        with self._lock:
            if not self._closed:
                record = {"type": "rename", "channel": channel, "speaker": speaker, "name": name}
                self._lines.append(_encode(record))
                self._flush()

    def saved_lines(self) -> tuple[int, int]:
        """How many final lines are on disk, and how many were journaled, of those a reader
        was shown (echo lines left out): what the session's closing message says when
        storage failed."""
        with self._lock:
            return bisect.bisect_left(self._shown, self._written), len(self._shown)

    def close(self, stats: Stats) -> None:
        """Mark the session as ended normally, with its latency statistics."""
        with self._lock:
            if self._closed:
                return
            self._lines.append(
                _encode(
                    {
                        "type": "end",
                        "ended": datetime.now().astimezone().isoformat(timespec="microseconds"),
                        "duration": round(time.monotonic() - self._started, 3),
                        "stats": _finite(stats),
                    }
                )
            )
            self._flush()
            self._closed = True
            self._release()

    def save_as(self, path: Path) -> None:
        """Write the whole journal to ``path`` and keep journaling there (after a failure)."""
        with self._lock:
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND, 0o644)
                try:
                    size = _write_all(fd, b"".join(self._lines), 0)
                    os.fsync(fd)
                except OSError:
                    os.close(fd)
                    raise
            except OSError as exc:
                reason = exc.strerror or exc
                raise UserError(f"cannot save the session to {path}: {reason}") from None
            self._release()
            self.path, self._fd, self._size, self._written = path, fd, size, len(self._lines)
            self.warning = None
            if self._closed:
                self._release()

    def session(self) -> Session:
        """Everything recorded so far, written or not: what exports use after a failure."""
        with self._lock:
            return parse_journal(line.decode() for line in self._lines)

    def _claim(self) -> bool:
        """Create the file; False when one of its name exists (another session's)."""
        with self._lock:
            try:
                self._open()
            except FileExistsError:
                return False
            except OSError:
                pass  # the first flush warns, and keeps the lines until they can be written
            return True

    def _open(self) -> int:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Created, never joined: until a line is written there, the file must be new.
        exclusive = 0 if self._written else os.O_EXCL
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | exclusive, 0o644)
        self._fd, self._size = fd, os.fstat(fd).st_size
        _fsync_dir(self.path.parent)
        return fd

    def _flush(self) -> None:
        """Write pending lines, retrying the open; on failure warn once and keep them."""
        try:
            fd = self._open() if self._fd is None else self._fd
            pending = b"".join(self._lines[self._written :])
            if pending:
                self._size = _write_all(fd, pending, self._size)
                self._written = len(self._lines)  # written: a failed fsync must not repeat them
            os.fsync(fd)
            self.warning = None
        except OSError as exc:
            self.warning = f"{exc.strerror or exc}"
            if not self._warned:
                self._warned = True
                if self._on_warning is not None:
                    self._on_warning(
                        f"cannot write the session journal {self.path} ({self.warning}); "
                        "captions go on and are kept in memory until it can be written"
                    )

    def _release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):  # already fsynced, or already warned about
                os.close(self._fd)
            self._fd = None


class JournalSink(SessionSink):
    """The journal as its session's first sink: each final line, echoes too, is written
    and fsynced before the next sink gets it, so whatever is shown is on disk."""

    def __init__(self, journal: SessionJournal) -> None:
        self.journal = journal

    def final(self, segment: Segment) -> None:
        self.journal.append(segment)

    def echo(self, segment: Segment) -> None:
        self.journal.append(segment)

    def speaker(self, segment: Segment) -> None:
        self.journal.relabel(segment)

    def renamed(self, channel: str, speaker: str, name: str) -> None:
        self.journal.rename(channel, speaker, name)


def _write_all(fd: int, data: bytes, size: int) -> int:
    """Append all of ``data`` to a file of ``size`` bytes, or nothing: a partial write
    (disk full) is cut off, so no broken line stays for later lines to follow."""
    done = 0
    try:
        while done < len(data):
            done += os.write(fd, data[done:])
    except OSError:
        if done:
            with contextlib.suppress(OSError):  # the reader skips a broken line anyway
                os.ftruncate(fd, size)
        raise
    return size + done


def _fsync_dir(directory: Path) -> None:
    """Make the new file's directory entry durable too (power loss, not only kill -9)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Session:
    """A journal read back: metadata, final segments and, if it ended normally, statistics."""

    id: str
    started: datetime
    source: str
    model: str
    app_version: str
    segments: tuple[Segment, ...]
    ended: datetime | None
    duration: float
    """Wall seconds for a session that ended; else the end of its last segment."""
    stats: dict[str, float | int | None]
    channels: dict[str, str]
    """Channel id -> its source's label; one "" channel for a session of one source."""

    @property
    def interrupted(self) -> bool:
        return self.ended is None


def _rounded(times: tuple[tuple[float, float], ...]) -> list[list[float]]:
    return [[round(start, 3), round(end, 3)] for start, end in times]


def _word_times(record: Any, text: str) -> tuple[tuple[float, float], ...]:
    """A final line's word times, if it has them for each of its words (older journals,
    and lines whose recognizer gave none, have none: subtitles then estimate them)."""
    if not isinstance(record, list) or len(record) != len(text.split()):
        return ()
    try:  # a damaged optional field costs the line its word times, never its text
        return tuple((float(start), float(end)) for start, end in record)
    except (TypeError, ValueError):
        return ()


def parse_journal(lines: Iterable[str]) -> Session:
    """Decode journal lines; lines cut short by a crash are skipped.

    Raises ValueError when there is no valid header line.
    """
    header: dict[str, Any] | None = None
    end: dict[str, Any] | None = None
    segments: list[Segment] = []
    joined: dict[str, str] = {}
    relabelled: dict[int, str] = {}  # line id -> the speaker found after it was written
    names: dict[tuple[str, str], str] = {}  # (channel, speaker) -> the name the user gave
    for line in lines:
        try:
            record = json.loads(line, parse_constant=_no_constant, parse_float=_finite_float)
            kind = record["type"]
            if kind == "session" and header is None:
                header = record
            elif kind == "final":
                segments.append(
                    Segment(
                        int(record["id"]),
                        float(record["start"]),
                        float(record["end"]),
                        str(record["text"]),
                        str(record.get("channel", "")),  # format 1 had no channels
                        str(record.get("display", "")),  # formats 1 and 2: none
                        record.get("echo") is True,
                        _word_times(record.get("words"), str(record["text"])),
                        str(record.get("speaker", "")),  # formats 1 to 3: none
                    )
                )
            elif kind == "speaker":
                relabelled[int(record["id"])] = str(record["speaker"])
            elif kind == "rename":
                names[str(record["channel"]), str(record["speaker"])] = str(record["name"])
            elif kind == "channel":
                joined[str(record["id"])] = str(record["label"])
            elif kind == "end":
                end = record | {"duration": _finite_float(str(record["duration"]))}
        except (ValueError, KeyError, TypeError, OverflowError):
            continue
    if header is None:
        raise ValueError("no session header line")
    try:
        return Session(
            id=str(header["id"]),
            started=datetime.fromisoformat(header["started"]),
            source=str(header["source"]),
            model=str(header["model"]),
            app_version=str(header["app_version"]),
            segments=tuple(_speakers(segments, relabelled, names)),
            ended=datetime.fromisoformat(end["ended"]) if end else None,
            duration=end["duration"] if end else max((s.end for s in segments), default=0.0),
            stats=dict(end["stats"]) if end else {},
            channels={
                **{
                    str(c["id"]): str(c["label"])
                    for c in header.get("channels", [{"id": "", "label": header["source"]}])
                },
                **joined,
            },
        )
    except (KeyError, TypeError) as exc:
        raise ValueError(f"bad session header or end line ({exc})") from None


def _speakers(
    segments: list[Segment], relabelled: dict[int, str], names: dict[tuple[str, str], str]
) -> Iterator[Segment]:
    """Each line with the speaker found last for it, by the name the user gave it."""
    for segment in segments:
        speaker = relabelled.get(segment.id, segment.speaker)
        speaker = names.get((segment.channel, speaker), speaker)
        yield (
            segment if speaker == segment.speaker else dataclasses.replace(segment, speaker=speaker)
        )


def _no_constant(name: str) -> float:
    """NaN and Infinity, which strict JSON has not: no time, id or duration can be them."""
    raise ValueError(f"{name} is not a number")


def _finite_float(text: str) -> float:
    """A number that fits a float (1e400 does not): a line with another is a broken line."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is out of range")
    return value


def read_journal(path: Path) -> Session:
    """Read a journal file. Raises OSError or ValueError for unreadable or foreign files."""
    with path.open(encoding="utf-8", errors="replace") as lines:
        return parse_journal(lines)
