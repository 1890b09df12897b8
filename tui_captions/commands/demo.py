"""``captions-tui demo``: the app on a bundled speech clip through the bundled tiny model.

Works offline with no microphone and no download, so anyone can see captions
appear; the screen says it is a demo model with a small vocabulary.
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui_captions.asr.defaults import DEFAULT_BEAM, DEFAULT_THREADS, DEMO_MODEL
from tui_captions.commands.app import add_view_options
from tui_captions.commands.options import add_hotword_options, add_punctuation_option, positive_int
from tui_captions.commands.setup import hotword_choice
from tui_captions.errors import UserError

if TYPE_CHECKING:
    from tui_captions.tui.app import AppOptions

DEMO_CLIP = "demo_speech.flac"


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo",
        help="see the app work offline: a bundled clip through a tiny demo model",
        description="Open the captions app on a bundled synthetic speech clip played in real "
        "time through a tiny bundled model (small vocabulary, one synthetic voice). The app's "
        "options that do not choose the source or the model apply, before or after demo.",
    )
    add_view_options(parser)
    parser.add_argument(
        "--threads", type=positive_int, default=DEFAULT_THREADS, metavar="N", help="torch threads"
    )
    add_punctuation_option(parser)
    add_hotword_options(parser)
    parser.set_defaults(handler=run)


def demo_clip() -> Path:
    clip = Path(str(resources.files("tui_captions.demo") / DEMO_CLIP))
    if not clip.is_file():
        raise UserError(f"the demo clip {clip} is missing from this installation; reinstall")
    return clip


def demo_options(args: argparse.Namespace) -> AppOptions:
    """The app's options for the demo: the bundled clip in real time, the bundled model,
    and what the command line said about the rest."""
    from tui_captions.audio.protocol import FfmpegSource
    from tui_captions.pipeline.session import only
    from tui_captions.text.names import BUNDLED
    from tui_captions.tui.app import AppOptions

    return AppOptions(
        model=DEMO_MODEL,
        beam=DEFAULT_BEAM,
        threads=args.threads,
        watch=args.watch,
        punctuation=args.punctuation or BUNDLED,  # offline as the rest of the demo
        hotwords=hotword_choice(args),
        serve=args.serve,
        record=args.record,
        strip_lines=args.lines,
        clear_after=args.clear_after,
        sources=only(FfmpegSource(str(demo_clip()))),
        theme=args.theme,
        demo=True,
    )


def run(args: argparse.Namespace) -> int:
    from tui_captions.commands.app import run_app

    return run_app(demo_options(args))
