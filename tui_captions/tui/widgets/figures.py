"""The session box: what this session holds so far, in the room under the latency pane."""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class SessionFigures(Widget):
    """Lines and words so far, watch-word hits, and where the journal is."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"session-figures--label"}

    DEFAULT_CSS = """
    SessionFigures { height: auto; }
    SessionFigures > .session-figures--label { color: $text-muted; }
    """

    lines: reactive[int] = reactive(0)
    words: reactive[int] = reactive(0)
    watched: reactive[int] = reactive(0)
    journal: reactive[str] = reactive("opens with the first line")

    def render(self) -> RenderableType:
        label = self.get_component_rich_style("session-figures--label")
        return Text("\n").join(
            [
                Text.assemble(
                    ("lines ", label), str(self.lines), ("  words ", label), str(self.words)
                ),
                Text.assemble(("watch-words said ", label), str(self.watched)),
                Text.assemble(("journal ", label), self.journal),
            ]
        )
