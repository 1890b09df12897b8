"""``captions-tui export``: a saved session as txt, jsonl, srt, vtt or json."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from tui_captions.commands.options import add_output_options, add_punctuation_option
from tui_captions.commands.setup import load_post, output_format
from tui_captions.errors import UserError
from tui_captions.transcript.exports import export_session
from tui_captions.transcript.formats import FORMATS, voice
from tui_captions.transcript.journal import Session
from tui_captions.transcript.output import check_output, written_whole
from tui_captions.transcript.sessions import LAST, load_session


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "export",
        help="write a saved session as txt, jsonl, srt, vtt or json",
        description="Write a saved session's final segments (interrupted sessions too) "
        "as plain text, JSON lines, SRT or WebVTT subtitles (cues of two lines at most), "
        "or JSON with session metadata and latency statistics. Lines are written as they "
        "were shown (punctuated and capitalised; older sessions get sentence case) unless "
        "--raw; --punctuate "
        "punctuates them again with the punctuation model.",
    )
    parser.add_argument(
        "session",
        metavar="SESSION",
        help=f"session id or its unique start (see `captions-tui sessions`), '{LAST}', "
        "or a journal file",
    )
    add_output_options(parser, FORMATS)
    parser.add_argument(
        "--raw", action="store_true", help="the recogniser's words as journaled (no punctuation)"
    )
    parser.add_argument(
        "--punctuate",
        action="store_true",
        help="punctuate and capitalise the lines again with the punctuation model "
        "(an older session, or a better model since)",
    )
    add_punctuation_option(parser)
    parser.add_argument(
        "--timestamps", action="store_true", help="txt: start time before each segment"
    )
    parser.add_argument(
        "--source",
        metavar="LABEL",
        help="a session of several sources (meeting mode): only this one's lines, e.g. You",
    )
    parser.add_argument(
        "--speakers-as",
        metavar="NAMES",
        type=speaker_names,
        help='speaker labels: name the speakers, e.g. "Speaker 1=Alice,Speaker 2=Bob" '
        '(meeting mode: "Them, Speaker 1=Bob" names one source\'s)',
    )
    parser.add_argument(
        "--with-echo",
        action="store_true",
        help="meeting mode: also the microphone's lines dropped as echoes of system audio",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args, "export", FORMATS)
    _, session = load_session(args.session)
    if args.output is not None:  # before --punctuate's model loads
        check_output(args.output)
    if args.punctuate and args.raw:
        raise UserError("--punctuate and --raw contradict each other: choose one")
    if not args.raw:
        session = _readable(session, args.punctuate, args.punctuation)
    if args.speakers_as:
        session = _renamed(session, args.speakers_as)
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
    options = {
        "raw": args.raw,
        "timestamps": args.timestamps,
        "source": args.source,
        "with_echo": args.with_echo,
    }
    if args.output is None:
        export_session(session, fmt, sys.stdout, **options)
        return 0
    with written_whole(args.output) as out:
        export_session(session, fmt, out, **options)
    return 0


def speaker_names(text: str) -> dict[str, str]:
    """``--speakers-as``: "Speaker 1=Alice,Them, Speaker 2=Bob" as label -> name (a
    voice's own comma, as in "Them, Speaker 2", stays in its label)."""
    names = {}
    label = ""
    for piece in text.split(","):
        label, equals, name = (
            part.strip() for part in f"{label},{piece}".lstrip(",").partition("=")
        )
        if equals and label and name:
            names[label] = name
            label = ""
        elif equals or not piece.strip():
            raise argparse.ArgumentTypeError(
                f"{label or piece.strip()!r} is not LABEL=NAME; "
                'write e.g. "Speaker 1=Alice,Speaker 2=Bob"'
            )
    if label:
        raise argparse.ArgumentTypeError(
            f'{label!r} is not LABEL=NAME; write e.g. "Speaker 1=Alice,Speaker 2=Bob"'
        )
    return names


def _renamed(session: Session, names: dict[str, str]) -> Session:
    """Each labelled line's speaker by the name given for its voice ("Them, Speaker 1": one
    source's) or its label ("Speaker 1": every source's); a name the session does not have
    is refused (a typo would leave a speaker unnamed unnoticed)."""
    labelled = [s for s in session.segments if s.speaker]
    known = {s.speaker for s in labelled} | {voice(s) for s in labelled}
    unknown = [label for label in names if label not in known]
    if unknown:
        listed = ", ".join(sorted({voice(s) for s in labelled})) or (
            "none: it was captioned without --speakers"
        )
        raise UserError(
            f"--speakers-as: session {session.id} has no {', '.join(map(repr, unknown))}; "
            f"its speakers: {listed}"
        )
    segments = tuple(
        dataclasses.replace(s, speaker=names.get(voice(s)) or names.get(s.speaker) or s.speaker)
        if s.speaker
        else s
        for s in session.segments
    )
    return dataclasses.replace(session, segments=segments)


def _readable(session: Session, punctuate: bool, punctuation: str | None) -> Session:
    """Every line with its readable form: as journaled, or made again by the punctuation
    model (``punctuate``); lines journaled without one (before journal format 3) get
    the rules. Each source's lines are read after that source's earlier ones."""
    from tui_captions.config import load_settings
    from tui_captions.text.postprocess import RuleCaser, TextContext, TextPostProcessor

    if not punctuate and all(s.display for s in session.segments):
        return session
    post: TextPostProcessor = (
        load_post(punctuation, load_settings()[0]) if punctuate else RuleCaser()
    )
    before: dict[str, TextContext] = {}
    segments = []
    for segment in session.segments:
        if punctuate or not segment.display:
            context = before.setdefault(segment.channel, TextContext())
            segment = dataclasses.replace(segment, display=post.final(segment.text, context))
            context.add(segment.text, segment.display)
        segments.append(segment)
    return dataclasses.replace(session, segments=tuple(segments))
