"""Command line: the TUI by default, headless subcommands for scripts and tests."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import sys
from collections.abc import Sequence
from typing import Any

from tui_captions import __version__, paths
from tui_captions.commands import (
    app,
    demo,
    devices,
    export,
    live,
    models,
    punctuate,
    sessions,
    transcribe,
)
from tui_captions.core import logfile
from tui_captions.errors import UserError
from tui_captions.signals import exit_if_stopped, exit_status, stop_on_signals

COMMANDS = (transcribe, live, devices, models, sessions, export, punctuate, demo)
_log = logging.getLogger("tui_captions.cli")  # not __name__, "__main__" under python -m


GLOBAL_OPTIONS = frozenset({"debug"})  # options of the program, not of a command


class _Commands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """Options given before a command apply to it: argparse would let the command's defaults
    overwrite them (``captions-tui --serve 8080 demo`` served nothing). One the command does
    not have is refused in one line, never dropped. Given after the command too, the later
    value wins, as when an option is repeated; a repeatable option keeps both.

    What was given is read from the words of the command line, not from the values: a value
    equal to the default (``--threads 1``) is still given. Abbreviated options are not
    taken, so a word names its option exactly."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        kwargs.setdefault("allow_abbrev", False)
        return super().add_parser(name, **kwargs)  # type: ignore[no-any-return]

    def __call__(
        self, parser: Any, namespace: Any, values: Any, option_string: str | None = None
    ) -> None:
        line: list[str] = parser.line  # a _Parser's
        before_words = line[: len(line) - len(values)]
        given = {
            action.dest: getattr(namespace, action.dest)
            for action in parser._actions
            if action.dest not in (argparse.SUPPRESS, *GLOBAL_OPTIONS)
            and hasattr(namespace, action.dest)
            and _named(action, before_words)
        }
        super().__call__(parser, namespace, values, option_string)
        name = values[0]
        command = self._name_parser_map[name]
        actions = {action.dest: action for action in command._actions}
        for dest, value in given.items():
            if dest not in actions:
                options = "/".join(
                    o
                    for action in parser._actions
                    if action.dest == dest
                    for o in action.option_strings
                )
                raise UserError(
                    f"{options} does not go with `{parser.prog} {name}`; drop it "
                    f"(`{parser.prog} {name} --help` lists what does)"
                )
            after = getattr(namespace, dest)
            if not _named(actions[dest], values[1:]):  # not given after the command too
                setattr(namespace, dest, value)
            elif isinstance(value, list):  # repeatable (--input, --input-option): all, in order
                setattr(namespace, dest, [*value, *after])


def _named(action: argparse.Action, words: Sequence[str]) -> bool:
    """Whether one of ``words`` gives ``action`` (``--opt``, ``--opt=value``, ``-oVALUE``)."""
    return any(
        word == option
        or (option.startswith("--") and word.startswith(option + "="))
        or (len(option) == 2 and word.startswith(option))
        for option in action.option_strings
        for word in words
    )


class _Parser(argparse.ArgumentParser):
    """Keeps the words it parses for the commands' action (what was given before one)."""

    line: list[str]

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: Any = None
    ) -> tuple[argparse.Namespace, list[str]]:
        self.line = list(sys.argv[1:] if args is None else args)
        return super().parse_known_args(args, namespace)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="captions-tui",
        allow_abbrev=False,
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
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", action=_Commands)
    for command in COMMANDS:
        command.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    stop_on_signals()
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        logfile.start(paths.log_file(), logfile.debug_requested(args.debug))
        command = shlex.join(sys.argv[1:] if argv is None else argv)
        _log.debug("captions-tui %s: %s", __version__, command)
        handler = getattr(args, "handler", app.run)
        status = int(handler(args))
    except UserError as exc:
        _log.debug("stopped: %s", exc)
        print(logfile.mention(f"captions-tui: error: {exc}"), file=sys.stderr)
        status = 2
    except KeyboardInterrupt as interrupt:
        status = exit_status(interrupt)
    except BrokenPipeError:
        # The reader went away (`... | head`): stop quietly, and keep Python from
        # complaining again when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 141
    except Exception:  # a bug: its traceback goes to the log file too
        _log.exception("captions-tui failed")
        raise
    return exit_if_stopped(status)


if __name__ == "__main__":
    sys.exit(main())
