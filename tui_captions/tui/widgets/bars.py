"""One-line bars: the session header (source, model, elapsed, state) and the status line."""

from __future__ import annotations

from typing import ClassVar, Literal

from rich.console import RenderableType
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from tui_captions.core import timefmt

Severity = Literal["information", "warning", "error"]


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

    source: reactive[str] = reactive("-")
    model: reactive[str] = reactive("-")
    compute: reactive[str] = reactive("")
    elapsed: reactive[float] = reactive(0.0)
    state: reactive[str] = reactive("starting")
    recording: reactive[bool] = reactive(False)
    web: reactive[str] = reactive("")
    """The caption page's address (with its token), when serving."""

    def render(self) -> RenderableType:
        label = self.get_component_rich_style("session-bar--label")
        # The state first: with a long source name the end of the bar is cut off.
        return Text.assemble(
            (f"● {self.state}", self.get_component_rich_style("session-bar--state")),
            ("  REC", self.get_component_rich_style("session-bar--rec")) if self.recording else "",
            "  ",
            timefmt.elapsed(self.elapsed),
            ("  source ", label),
            self.source,
            ("  model ", label),
            self.model,
            (f" ({self.compute})" if self.compute else "", label),
            ("  web ", label) if self.web else "",
            self.web,
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

    message: reactive[str] = reactive("")
    severity: reactive[Severity] = reactive[Severity]("information")

    def show(self, message: str, severity: Severity = "information") -> None:
        self.message, self.severity = message, severity

    def watch_severity(self, severity: Severity) -> None:
        self.set_class(severity == "warning", "-warning")
        self.set_class(severity == "error", "-error")

    def render(self) -> RenderableType:
        return Text(self.message, no_wrap=True, overflow="ellipsis")
