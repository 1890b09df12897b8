"""Exports of a saved session: plain text, JSON lines, SRT, WebVTT or one JSON document.

Text, JSON lines, SRT and WebVTT go through the writers ``transcribe`` streams with;
JSON adds what only a whole session has (metadata and latency statistics).
Each line's readable text is the one the session made (journal format 3);
a caller exporting an older journal fills it in first (``captions-tui export``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from tui_captions.core.segments import Segment
from tui_captions.transcript.formats import TextWriter, find_format
from tui_captions.transcript.journal import Session


def export_session(
    session: Session,
    fmt: str,
    out: TextIO,
    *,
    raw: bool = False,
    timestamps: bool = False,
    source: str | None = None,
    with_echo: bool = False,
) -> None:
    """Write ``session`` as ``fmt`` (any of its names): each line's readable text (``raw``:
    the recogniser's words); ``timestamps`` puts each segment's start time before it in
    ``txt``; ``source`` keeps one source's lines of a session of several; ``with_echo``
    keeps the microphone's lines that were dropped as echoes of system audio."""
    kept = (
        s
        for s in session.segments
        if (source is None or s.channel == source) and (with_echo or not s.echo)
    )
    segments = list(kept)
    spec = find_format(fmt)
    if spec.writer is None:
        document = _document(session, segments, raw)
        json.dump(document, out, indent=2, ensure_ascii=False, allow_nan=False)
        out.write("\n")
        return
    writer = (
        TextWriter(out, raw=raw, timestamps=timestamps)
        if spec.writer is TextWriter
        else spec.writer(out, raw=raw)
    )
    for segment in segments:
        writer.write(segment)
    writer.close()


def _document(session: Session, segments: Sequence[Segment], raw: bool) -> dict[str, Any]:
    return {
        "session": {
            "id": session.id,
            "started": session.started.isoformat(),
            "ended": session.ended.isoformat() if session.ended else None,
            "interrupted": session.interrupted,
            "duration": session.duration,
            "source": session.source,
            "model": session.model,
            "app_version": session.app_version,
        },
        "stats": session.stats,
        "segments": [
            {"id": s.id, "start": s.start, "end": s.end, "text": s.shown(raw)}
            | ({"raw": s.text} if s.shown(raw) != s.text else {})
            | ({"source": s.channel} if s.channel else {})
            | ({"speaker": s.speaker} if s.speaker else {})
            | ({"echo": True} if s.echo else {})
            for s in segments
        ],
    }
