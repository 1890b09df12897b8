"""``captions-tui`` with no subcommand: the live captions app.

Options live on the top-level parser. Textual and torch are imported only
when the app runs, so the headless subcommands never pay for them.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui_captions.commands.common import add_model_options
from tui_captions.errors import UserError

if TYPE_CHECKING:
    from tui_captions.audio.protocol import Source
    from tui_captions.tui.app import AppOptions


def add_options(parser: argparse.ArgumentParser) -> None:
    """The app's options, on the top-level parser (``captions-tui [options]``)."""
    group = parser.add_argument_group("captions app (when no command is given)")
    where = group.add_mutually_exclusive_group()
    where.add_argument(
        "--device",
        metavar="D",
        help="start at once with this capture device: index, exact name or unique part of "
        "a name as `captions-tui devices` lists them (default: choose in a picker)",
    )
    where.add_argument(
        "--input",
        metavar="PATH_OR_URL",
        help="start at once with a file, URL or FFmpeg input device, played in real time",
    )
    group.add_argument("--input-format", metavar="FMT", help="FFmpeg input format for --input")
    group.add_argument(
        "--input-option",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="FFmpeg input option for --input (repeatable)",
    )
    group.add_argument("--theme", metavar="NAME", help="colour theme (t cycles them in the app)")
    add_model_options(group)  # type: ignore[arg-type]


def resolve_source(args: argparse.Namespace) -> Source | None:
    """The source the command line names, or None to let the user pick one."""
    if args.device is not None:
        from tui_captions.audio.devices import find_device, list_devices

        return find_device(args.device, list_devices()).source()
    if args.input is not None:
        from tui_captions.audio.protocol import FfmpegSource

        return FfmpegSource(args.input, args.input_format, _options(args.input_option))
    if args.input_format or args.input_option:
        raise UserError("--input-format and --input-option need --input")
    return None


def _options(pairs: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UserError(f"--input-option wants KEY=VALUE, got {pair!r}")
        options[key] = value
    return options


def run_app(options: AppOptions) -> int:
    """Run the app; afterwards say where the session's transcript is."""
    from tui_captions.tui.app import CaptionsApp

    app = CaptionsApp(options)
    journal = app.run()
    if journal is not None:
        print(f"Transcript saved: {journal}  (export it: captions-tui export last --format txt)")
    return app.return_code or 0


def run(args: argparse.Namespace) -> int:
    from tui_captions.tui.app import AppOptions

    return run_app(
        AppOptions(
            model=args.model,
            beam=args.beam,
            threads=args.threads,
            quantize=args.quantize,
            endpoint_silence=args.endpoint_silence,
            max_segment=args.max_segment,
            decoder=args.decoder,
            lm=args.lm,
            compute=args.compute,
            source=resolve_source(args),
            theme=args.theme,
        )
    )
