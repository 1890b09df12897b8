"""``captions-tui`` with no subcommand: the live captions app.

Options live on the top-level parser. Textual and torch are imported only
when the app runs, so the headless subcommands never pay for them.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui_captions.commands.options import (
    add_model_options,
    add_serve_option,
    add_source_options,
    add_speaker_options,
    add_watch_option,
    positive_int,
    seconds,
)
from tui_captions.commands.setup import (
    hotword_choice,
    local_speaker_model,
    resolve_sources,
    speaker_model,
    warn,
)

if TYPE_CHECKING:
    from tui_captions.transcript.journal import SessionJournal
    from tui_captions.tui.app import AppOptions


def add_options(parser: argparse.ArgumentParser) -> None:
    """The app's options, on the top-level parser (``captions-tui [options]``)."""
    group = parser.add_argument_group("captions app (when no command is given)")
    add_source_options(group)  # none: choose in the picker
    add_view_options(group)
    add_model_options(group)  # type: ignore[arg-type]
    add_speaker_options(group)


def add_view_options(group: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """How the app shows the captions and who else sees them: the app's and the demo's."""
    add_watch_option(group)
    group.add_argument(
        "--lines",
        type=positive_int,
        metavar="N",
        help="rows of text in the caption strip (z; default: the settings file's "
        "'strip_lines', else 3)",
    )
    group.add_argument(
        "--clear-after",
        type=seconds,
        metavar="S",
        help="the caption strip empties after S seconds without speech "
        "(default: the settings file's 'clear_after', else never)",
    )
    group.add_argument(
        "--record",
        action="store_true",
        help="also save the 16 kHz audio next to the session journal (FLAC), as live does",
    )
    group.add_argument("--theme", metavar="NAME", help="colour theme (t cycles them in the app)")
    add_serve_option(group)


def run_app(options: AppOptions) -> int:
    """Run the app; afterwards say where the session's transcript is."""
    from tui_captions.tui.app import CaptionsApp

    app = CaptionsApp(options)
    journal = app.run()
    opened = app.session.journal_if_open
    if opened is not None and opened.warning is not None:  # a full disk, say
        warn(lost_note(opened))
    elif journal is not None:
        print(f"Transcript saved: {journal}  (export it: captions-tui export last --format txt)")
    return app.return_code or 0


def lost_note(journal: SessionJournal) -> str:
    """The app's closing line when the journal could not all be written: unlike ``live``,
    the app printed no transcript, so the lines held in memory end with it. Echo lines
    are left out of the counts, as the app never showed them."""
    saved, said = journal.saved_lines()
    lost = said - saved
    if not lost:  # the end line (or an echo line) did not fit
        return (
            f"session {journal.id}: its lines are saved in {journal.path}, its end is not "
            f"({journal.warning})"
        )
    kept = f"the {saved} before them are in {journal.path}" if saved else "none was saved"
    return (
        f"session {journal.id}: {lost} of {saved + lost} lines could not be saved "
        f"({journal.warning}) and are lost; {kept}"
    )


def run(args: argparse.Namespace) -> int:
    from tui_captions.config import load_settings
    from tui_captions.tui.app import AppOptions

    settings = load_settings()[0]
    # --speakers: its model now (downloaded if need be; none: exit 2); else the key's, if local
    # (here --speaker-model alone is the model the key turns labels on with)
    model = speaker_model(args, settings, model_asks=False) or local_speaker_model(args, settings)
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
            language=args.language,
            watch=args.watch,
            punctuation=args.punctuation,
            hotwords=hotword_choice(args),
            serve=args.serve,
            record=args.record,
            speakers=args.speakers or bool(settings.speakers),
            speaker_model=model,
            strip_lines=args.lines,
            clear_after=args.clear_after,
            compute=args.compute,
            sources=tuple(resolve_sources(args)),
            theme=args.theme,
        )
    )
