"""Command line: the TUI by default, headless subcommands for scripts and tests."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from collections.abc import Sequence

from tui_captions import __version__, paths
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
from tui_captions.core import logfile
from tui_captions.errors import UserError
from tui_captions.signals import exit_status, stop_on_signals

COMMANDS = (transcribe, live, devices, sessions, export, punctuate, demo)
_log = logging.getLogger("tui_captions.cli")  # not __name__, "__main__" under python -m


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="captions-tui",
        description="Live, offline captions in the terminal (streaming Emformer RNN-T).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help=f"also log what the workers, engines, server and downloads do in {paths.log_file()} "
        f"(or set {logfile.DEBUG_VARIABLE}=1); warnings and errors are always logged there",
    )
    app.add_options(parser)
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    stop_on_signals()
    parser = build_parser()
    args = parser.parse_args(argv)
    logfile.start(paths.log_file(), logfile.debug_requested(args.debug))
    command = shlex.join(sys.argv[1:] if argv is None else argv)
    _log.debug("captions-tui %s: %s", __version__, command)
    handler = getattr(args, "handler", app.run)
    try:
        return int(handler(args))
    except UserError as exc:
        _log.debug("stopped: %s", exc)
        print(logfile.mention(f"captions-tui: error: {exc}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt as interrupt:
        return exit_status(interrupt)
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception:  # a bug: its traceback goes to the log file too
        _log.exception("captions-tui failed")
        raise


if __name__ == "__main__":
    sys.exit(main())
