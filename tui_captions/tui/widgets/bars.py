"""One-line bars: the session header (source, model, elapsed, state) and the status line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from rich.console import RenderableType
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui_captions.core import timefmt

Severity = Literal["information", "warning", "error"]
Status = tuple[str, Severity]
"""What the status line says, and how loudly."""


@dataclass(frozen=True)
class Heading:
    """The session bar's names: they change when the source, the model or an output does."""

    source: str = "-"
    model: str = "-"
    compute: str = ""
    recording: bool = False
    web: str = ""
    """The caption page's address (with its token), when serving."""


class SessionBar(Widget):
    """What is being captioned, with what, for how long, and whether it is live."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "session-bar--label",
        "session-bar--state",
        "session-bar--rec",
    }

    DEFAULT_CSS = """
    SessionBar {
        height: 1;
        background: $panel;
        color: $text;
        padding: 0 1;
    }
    SessionBar > .session-bar--label { color: $text-muted; }
    SessionBar > .session-bar--state { color: $accent; text-style: bold; }
    SessionBar > .session-bar--rec { color: $error; text-style: bold; }
    """

    heading: reactive[Heading] = reactive(Heading())
    elapsed: reactive[float] = reactive(0.0)
    state: reactive[str] = reactive("starting")

    def render(self) -> RenderableType:
        label = self.get_component_rich_style("session-bar--label")
        heading = self.heading
        rec = self.get_component_rich_style("session-bar--rec")
        # The state first: with a long source name the end of the bar is cut off.
        return Text.assemble(
            (f"● {self.state}", self.get_component_rich_style("session-bar--state")),
            ("  REC", rec) if heading.recording else "",
            "  ",
            timefmt.elapsed(self.elapsed),
            ("  source ", label),
            heading.source,
            ("  model ", label),
            heading.model,
            (f" ({heading.compute})" if heading.compute else "", label),
            ("  web ", label) if heading.web else "",
            heading.web,
            no_wrap=True,
            overflow="ellipsis",
        )


class StatusLine(Widget):
    """The latest thing the user should know (loading, source lost, saved…), kept until replaced."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    StatusLine.-warning { color: $warning; text-style: bold; }
    StatusLine.-error { color: $background; background: $error; text-style: bold; }
    """

    status: reactive[Status] = reactive[Status](("", "information"))

    def watch_status(self, status: Status) -> None:
        severity = status[1]
        self.set_class(severity == "warning", "-warning")
        self.set_class(severity == "error", "-error")

    def render(self) -> RenderableType:
        return Text(self.status[0], no_wrap=True, overflow="ellipsis")
