"""The session box: what this session holds so far, in the room under the latency pane."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


@dataclass(frozen=True)
class Figures:
    """What the session box counts; a new value each time a line comes."""

    lines: int = 0
    words: int = 0
    watched: int = 0
    journal: str = "opens with the first line"


class SessionFigures(Widget):
    """Lines and words so far, watch-word hits, and where the journal is."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"session-figures--label"}

    DEFAULT_CSS = """
    SessionFigures { height: auto; }
    SessionFigures > .session-figures--label { color: $text-muted; }
    """

    figures: reactive[Figures] = reactive(Figures())

    def render(self) -> RenderableType:
        label = self.get_component_rich_style("session-figures--label")
        figures = self.figures
        return Text("\n").join(
            [
                Text.assemble(
                    ("lines ", label), str(figures.lines), ("  words ", label), str(figures.words)
                ),
                Text.assemble(("watch-words said ", label), str(figures.watched)),
                Text.assemble(("journal ", label), figures.journal),
            ]
        )
