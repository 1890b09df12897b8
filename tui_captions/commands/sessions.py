"""``captions-tui sessions``: the saved sessions, newest last."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from tui_captions.commands.setup import warn
from tui_captions.core.names import short_name
from tui_captions.core.segments import Segment
from tui_captions.core.timefmt import clock, duration
from tui_captions.transcript.formats import labelled
from tui_captions.transcript.journal import Session, sessions_dir
from tui_captions.transcript.sessions import list_sessions, saved_recording


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sessions",
        help="list saved sessions",
        description=f"List the sessions journaled in {sessions_dir()}: start, duration, "
        "source, segment count, and whether the session was interrupted (no normal end).",
    )
    parser.add_argument("--json", action="store_true", help="one JSON array on stdout")
    parser.add_argument(
        "--grep",
        metavar="TEXT",
        help="only sessions with lines that say TEXT (case-insensitive), with those lines "
        "and their times",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    directory = sessions_dir()
    sessions = list_sessions(directory, on_skip=warn)
    if args.grep is not None:
        return grep(sessions, args.grep, args.json)
    if args.json:
        rows = [
            {
                "id": s.id,
                "started": s.started.isoformat(),
                "duration": s.duration,
                "source": s.source,
                "model": s.model,
                "segments": len(shown_lines(s)),
                "interrupted": s.interrupted,
                "journal": str(path),
                "recording": str(audio) if (audio := saved_recording(path)) else None,
            }
            for path, s in sessions
        ]
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False, allow_nan=False)
        print()
        return 0
    console = Console()
    if not sessions:
        console.print(f"No saved sessions in {directory}.", markup=False)
        return 0
    # Names are text, never markup: "meeting [final].wav" keeps its "[final]".
    table = Table(box=None, padding=(0, 1, 0, 0), caption=Text(f"{len(sessions)} in {directory}"))
    # The id is what `export` takes: whole on any width (the source gives way).
    table.add_column("session", no_wrap=True, min_width=max(len(s.id) for _, s in sessions))
    for name in ("started", "duration"):
        table.add_column(name, no_wrap=True)
    # The source's name on one row (a file's, not its whole path; --json has the path): the
    # one column that gives way on a narrow terminal.
    table.add_column("source", min_width=8)
    for name in ("segs", "state", "audio"):
        table.add_column(name, no_wrap=True)
    for path, s in sessions:
        table.add_row(
            s.id,
            s.started.strftime("%Y-%m-%d %H:%M"),
            duration(s.duration),
            Text(short_name(s.source), no_wrap=True, overflow="ellipsis"),
            str(len(shown_lines(s))),
            "[yellow]interrupted[/]" if s.interrupted else "complete",
            "flac" if saved_recording(path) else "",
        )
    console.print(table)
    return 0


def shown_lines(session: Session) -> list[Segment]:
    """The lines the session showed: a microphone's echo of system audio was journaled
    but never shown, so it is neither counted nor found (the app's count leaves it out)."""
    return [segment for segment in session.segments if not segment.echo]


def grep(sessions: list[tuple[Path, Session]], text: str, as_json: bool) -> int:
    """Sessions whose lines say ``text``, newest last; exit 1 when none does (as grep)."""
    wanted = " ".join(text.lower().split())
    found = [
        (path, session, [s for s in shown_lines(session) if wanted in s.text.lower()])
        for path, session in sessions
    ]
    found = [(path, session, lines) for path, session, lines in found if lines]
    if as_json:
        rows = [
            {
                "id": session.id,
                "started": session.started.isoformat(),
                "journal": str(path),
                "lines": [
                    {"start": s.start, "end": s.end, "text": s.text}
                    | ({"source": s.channel} if s.channel else {})
                    for s in lines
                ],
            }
            for path, session, lines in found
        ]
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False, allow_nan=False)
        print()
        return 0 if found else 1
    console = Console(highlight=False)
    for _, session, lines in found:
        started = f"{session.started:%Y-%m-%d %H:%M}"
        console.print(Text.assemble((session.id, "bold"), f"  {started}  {session.source}"))
        for s in lines:
            console.print(f"  [{clock(s.start, '.')}] {labelled(s)}", markup=False)
    if not found:
        console.print(f"No saved session says {text!r}.", markup=False)
    return 0 if found else 1
