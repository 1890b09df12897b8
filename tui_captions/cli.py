"""Command line: the TUI by default, headless subcommands for scripts and tests."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from tui_captions import __version__
from tui_captions.commands import (
    app,
    demo,
    devices,
    export,
    live,
    punctuate,
    sessions,
    transcribe,
)
from tui_captions.errors import UserError
from tui_captions.signals import exit_if_stopped, exit_status, stop_on_signals

COMMANDS = (transcribe, live, devices, sessions, export, punctuate, demo)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="captions-tui",
        description="Live, offline captions in the terminal (streaming Emformer RNN-T).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    app.add_options(parser)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    stop_on_signals()
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", app.run)
    try:
        status = int(handler(args))
    except UserError as exc:
        print(f"captions-tui: error: {exc}", file=sys.stderr)
        status = 2
    except KeyboardInterrupt as interrupt:
        status = exit_status(interrupt)
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 141
    return exit_if_stopped(status)


if __name__ == "__main__":
    sys.exit(main())
