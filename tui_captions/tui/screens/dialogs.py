"""Modal screens: save the transcript, name a speaker, the key help, and the model error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, TypeVar

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tui_captions.asr.defaults import AV_MODEL_FILES
from tui_captions.transcript.formats import EXPORT_FORMATS
from tui_captions.tui.keys import KeyCommand

ResultT = TypeVar("ResultT")


@dataclass(frozen=True)
class SaveRequest:
    fmt: str
    path: Path


def default_save_path(directory: Path, stem: str, fmt: str) -> Path:
    return directory / f"{stem}.{fmt}"


class FormDialog(ModalScreen[ResultT]):
    """A small form over the screen: labelled fields, then Cancel (or Escape) and its action."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    FormDialog { align: center middle; }
    FormDialog > Vertical {
        width: 72; max-width: 95%; height: auto;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    FormDialog Label { margin-top: 1; color: $text-muted; }
    FormDialog Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    FormDialog Button { margin-left: 1; }
    """

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class SaveDialog(FormDialog["SaveRequest | None"]):
    """Format and path; the default path follows the format until the user edits it."""

    DEFAULT_CSS = """
    SaveDialog #error { color: $error; height: auto; }
    """

    def __init__(self, directory: Path, stem: str, fmt: str = "txt") -> None:
        super().__init__()
        self.directory, self.stem, self.fmt = directory, stem, fmt

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Save transcript[/b]")
            yield Label("Format")
            yield Select([(fmt, fmt) for fmt in EXPORT_FORMATS], value=self.fmt, allow_blank=False)
            yield Label("File")
            yield Input(str(default_save_path(self.directory, self.stem, self.fmt)), id="path")
            yield Static("", id="error")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Select.Changed)
    def _format_changed(self, event: Select.Changed) -> None:
        path_input = self.query_one("#path", Input)
        old_default = str(default_save_path(self.directory, self.stem, self.fmt))
        self.fmt = str(event.value)
        if path_input.value == old_default:
            path_input.value = str(default_save_path(self.directory, self.stem, self.fmt))

    def show_error(self, message: str) -> None:
        self.query_one("#error", Static).update(message)

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self.show_error("Give a file name.")
            return
        self.dismiss(SaveRequest(self.fmt, Path(text).expanduser()))


@dataclass(frozen=True)
class Rename:
    """A speaker of a channel ("" for the only source) and the name the user gave it."""

    channel: str
    speaker: str
    name: str


class RenameDialog(FormDialog["Rename | None"]):
    """Which speaker (of those labelled so far), and its name for the session."""

    DEFAULT_CSS = """
    RenameDialog > Vertical { width: 60; }
    """

    def __init__(self, speakers: Sequence[tuple[str, str]]) -> None:
        super().__init__()
        self.speakers = list(speakers)  # (channel, speaker), as labelled

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("[b]Name a speaker[/b] (for this session; the journal keeps it)")
            yield Label("Speaker")
            yield Select(
                [(", ".join(filter(None, s)), n) for n, s in enumerate(self.speakers)],
                value=0,
                allow_blank=False,
            )
            yield Label("Name")
            yield Input(placeholder="Alice", id="name")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Name", id="rename", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#rename")
    def _rename(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        if name:
            channel, speaker = self.speakers[int(str(self.query_one(Select).value))]
            self.dismiss(Rename(channel, speaker, name))


class HelpScreen(ModalScreen[None]):
    """Every key, generated from the same list the bindings and the command palette use,
    and ``about``: what the session runs, in full (the top bar shortens paths)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 76; max-width: 95%; height: auto; max-height: 90%;
        border: thick $primary; background: $surface; padding: 1 2;
    }
    """

    def __init__(
        self, commands: Sequence[KeyCommand], about: Sequence[tuple[str, str]] = ()
    ) -> None:
        super().__init__()
        self.commands = commands
        self.about = about

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column()
        for command in self.commands:
            table.add_row(command.display or command.key.split(",")[0], command.help)
        table.add_row("ctrl+p", "Command palette: every command by name")
        with VerticalScroll():
            yield Static("[b]Keys[/b]   (Esc to close)\n")
            yield Static(table)
            if self.about:
                about = Table.grid(padding=(0, 2))
                about.add_column(style="bold")
                about.add_column(overflow="fold")
                for name, value in self.about:
                    about.add_row(name, value)
                yield Static("\n[b]This session[/b]\n")
                yield Static(about)

    def action_close(self) -> None:
        self.dismiss(None)


def model_help(audio_visual: bool) -> str:
    """What to do when the model cannot load: the files of the kind of model asked for."""
    files = (
        f"the audio-visual model's directory holds {' and '.join(AV_MODEL_FILES)}"
        if audio_visual
        else "a model directory holds config.json, model.pt, tokenizer.model and global_stats.json"
    )
    return (
        f"What to do: check the --model value ({files}; see docs/models.md). Offline, point "
        "--model at a local model directory; `captions-tui demo` works with no download."
    )


class ErrorScreen(ModalScreen[None]):
    """A problem the session cannot go on without (the model), with what to do about it."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("q,escape", "app.quit", "Quit")]

    DEFAULT_CSS = """
    ErrorScreen { align: center middle; }
    ErrorScreen > Vertical {
        width: 80; max-width: 95%; height: auto;
        border: thick $error; background: $surface; padding: 1 2;
    }
    ErrorScreen #what { color: $text; margin-bottom: 1; }
    ErrorScreen #todo { color: $text-muted; }
    """

    def __init__(self, title: str, message: str, todo: str) -> None:
        super().__init__()
        self.title_text, self.message, self.todo = title, message, todo

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(self.title_text, style="bold"))
            yield Static(Text(self.message), id="what")
            yield Static(Text(self.todo), id="todo")
            yield Static(Text("Press q to quit."))
