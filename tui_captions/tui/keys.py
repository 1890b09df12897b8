"""Every key the screens bind, in one table per screen: the bindings, the footer, the ``?``
help screen and the command palette all read from here, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class KeyCommand:
    """One user command: its key, action, footer label and one-line help.

    An action the app runs (it reaches beyond the screen) is named ``app.…``.
    """

    key: str
    action: str
    label: str = ""
    help: str = ""
    display: str | None = None
    footer: bool = True
    priority: bool = False  # before the focused widget: the picker's filter box keeps typing


CAPTIONS_KEYS = (
    KeyCommand(
        "p",
        "app.toggle_pause",
        "Pause",
        "Pause or resume (frees the device; a file input starts over)",
    ),
    KeyCommand("ctrl+s", "app.save", "Save", "Save the transcript: choose format and file"),
    KeyCommand("s", "app.switch_source", "Source", "Pick another source; the transcript goes on"),
    KeyCommand(
        "r", "app.restart_sources", "Restart", "Start a source that failed again", footer=False
    ),
    KeyCommand(
        "c", "clear_view", "Clear", "Clear the view (the saved transcript keeps all)", footer=False
    ),
    KeyCommand(
        "t", "app.cycle_theme", "Theme", "Next theme (remembered for next time)", footer=False
    ),
    KeyCommand(
        "l",
        "app.toggle_speakers",
        "Speakers",
        "Speaker labels on or off (needs a speaker model)",
        footer=False,
    ),
    KeyCommand("L", "app.rename_speaker", "Name", "Name a speaker for the session", footer=False),
    KeyCommand("z", "toggle_strip", "Strip", "Caption strip: only the last lines, the whole width"),
    KeyCommand(
        "f,end", "toggle_follow", "Follow", "Follow new text, or stay where you are", footer=False
    ),
    KeyCommand(
        "slash", "search", "Search", "Search the transcript; n / N: next / previous", display="/"
    ),
    KeyCommand("n", "search_next(1)", "Next", "Next match of the search", footer=False),
    KeyCommand("N", "search_next(-1)", "Previous", "Previous match", footer=False),
    KeyCommand("escape", "end_search", "End search", "End the search", footer=False),
    KeyCommand("question_mark", "app.help", "Help", "Show the keys", display="?"),
    KeyCommand("q", "app.quit", "Quit", "Quit; the transcript stays saved in the sessions folder"),
)

PICKER_KEYS = (
    KeyCommand("enter", "start", "Start", priority=True),
    KeyCommand("space", "mark", "Mark", priority=True),
    KeyCommand("f5,ctrl+r", "refresh", "Refresh"),
    KeyCommand("up", "move(-1)", "Up", footer=False, priority=True),
    KeyCommand("down", "move(1)", "Down", footer=False, priority=True),
    KeyCommand("pageup", "move(-10)", footer=False, priority=True),
    KeyCommand("pagedown", "move(10)", footer=False, priority=True),
    KeyCommand("escape", "cancel", "Back"),
)


def bindings(keys: Iterable[KeyCommand]) -> list[BindingType]:
    """A screen's ``BINDINGS`` from its table."""
    return [
        Binding(
            k.key,
            k.action,
            k.label,
            show=k.footer,
            key_display=k.display,
            priority=k.priority,
        )
        for k in keys
    ]
