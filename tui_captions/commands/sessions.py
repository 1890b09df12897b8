"""``captions-tui sessions``: the saved sessions, newest last."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from rich.console import Console
from rich.table import Table

from tui_captions.core.timefmt import duration
from tui_captions.transcript.journal import sessions_dir
from tui_captions.transcript.sessions import list_sessions, recording_path


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "sessions",
        help="list saved sessions",
        description=f"List the sessions journaled in {sessions_dir()}: start, duration, "
        "source, segment count, and whether the session was interrupted (no normal end).",
    )
    parser.add_argument("--json", action="store_true", help="one JSON array on stdout")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    directory = sessions_dir()
    sessions = list_sessions(directory)
    if args.json:
        rows = [
            {
                "id": s.id,
                "started": s.started.isoformat(),
                "duration": s.duration,
                "source": s.source,
                "model": s.model,
                "segments": len(s.segments),
                "interrupted": s.interrupted,
                "journal": str(path),
                "recording": str(audio) if (audio := recording_path(path)).exists() else None,
            }
            for path, s in sessions
        ]
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return 0
    console = Console()
    if not sessions:
        console.print(f"No saved sessions in {directory}.")
        return 0
    table = Table(box=None, padding=(0, 1, 0, 0), caption=f"{len(sessions)} in {directory}")
    for name in ("session", "started", "duration"):
        table.add_column(name, no_wrap=True)
    table.add_column("source", overflow="fold", min_width=8)
    for name in ("segs", "state", "audio"):
        table.add_column(name, no_wrap=True)
    for path, s in sessions:
        table.add_row(
            s.id,
            s.started.strftime("%Y-%m-%d %H:%M"),
            duration(s.duration),
            s.source,
            str(len(s.segments)),
            "[yellow]interrupted[/]" if s.interrupted else "complete",
            "flac" if recording_path(path).exists() else "",
        )
    console.print(table)
    return 0
