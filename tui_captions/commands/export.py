"""``captions-tui export``: a saved session as txt, srt, vtt or json."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tui_captions.errors import UserError
from tui_captions.transcript.exports import export_session
from tui_captions.transcript.formats import EXPORT_FORMATS
from tui_captions.transcript.output import written_whole
from tui_captions.transcript.sessions import LAST, load_session


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="write a saved session as txt, srt, vtt or json",
        description="Write a saved session's final segments (interrupted sessions too) "
        "as plain text, SRT or WebVTT subtitles, or JSON with session metadata and "
        "latency statistics. Text gets sentence case and a capital I unless --raw.",
    )
    parser.add_argument(
        "session",
        metavar="SESSION",
        help=f"session id or its unique start (see `captions-tui sessions`), '{LAST}', "
        "or a journal file",
    )
    parser.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        help="output format (default: from the -o suffix, else txt)",
    )
    parser.add_argument("-o", "--output", type=Path, metavar="OUT", help="write here, not stdout")
    parser.add_argument(
        "--raw", action="store_true", help="the model's text as journaled (no sentence case)"
    )
    parser.add_argument(
        "--timestamps", action="store_true", help="txt: start time before each segment"
    )
    parser.add_argument(
        "--source",
        metavar="LABEL",
        help="a session of several sources (meeting mode): only this one's lines, e.g. You",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    fmt = args.format
    if fmt is None:
        suffix = args.output.suffix.lstrip(".").lower() if args.output else ""
        fmt = suffix if suffix in EXPORT_FORMATS else "txt"
    _, session = load_session(args.session)
    if args.source is not None and args.source not in session.channels.values():
        known = ", ".join(repr(label) for label in session.channels.values() if label)
        raise UserError(
            f"session {session.id} has no source {args.source!r}"
            + (
                f": its sources are {known}"
                if known and len(session.channels) > 1
                else ": it has one source; export it without --source"
            )
        )
    options = {"readable": not args.raw, "timestamps": args.timestamps, "source": args.source}
    if args.output is None:
        export_session(session, fmt, sys.stdout, **options)
        return 0
    with written_whole(args.output) as out:
        export_session(session, fmt, out, **options)
    return 0
