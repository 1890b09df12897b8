"""The camera pane of an audio-visual model: the face crop the model sees, and how often.

The 44x44 grayscale crop is drawn at half size in half-block characters (each
cell two pixels: the upper one in the foreground colour, the lower one in the
background), with how many of the last window's frames showed a face.
Before any face: "no face", as the status line says.
"""

from __future__ import annotations

import numpy as np
from rich.console import RenderableType
from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

NO_FACE = "no face"
PIXELS = 22  # the crop drawn at this size: 11 rows of 22 cells


class CameraPane(Widget):
    DEFAULT_CSS = """
    CameraPane {
        height: auto;
        padding: 0 1;
    }
    """

    faces: reactive[int | None] = reactive[int | None](None)
    """Frames with a face in the last window (None: no window yet)."""
    frames: reactive[int] = reactive(32)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._face: np.ndarray | None = None

    def show(self, face: np.ndarray | None, faces: int, frames: int) -> None:
        """A window's last crop with a face (None: none in it) and how many frames had one."""
        if face is not None:
            self._face = face
        self.frames = frames
        self.faces = faces
        self.refresh()

    def render(self) -> RenderableType:
        text = Text()
        if self._face is None:
            text.append(NO_FACE, style="bold")
            return text
        small = self._face[:: self._face.shape[0] // PIXELS, :: self._face.shape[1] // PIXELS]
        for row in range(0, PIXELS - 1, 2):
            for column in range(PIXELS):
                top, bottom = int(small[row, column]), int(small[row + 1, column])
                text.append(
                    "\u2580",
                    Style(
                        color=f"rgb({top},{top},{top})", bgcolor=f"rgb({bottom},{bottom},{bottom})"
                    ),
                )
            text.append("\n")
        seen = "-" if self.faces is None else f"{self.faces}/{self.frames}"
        text.append(f"faces {seen} frames" if self.faces else f"{NO_FACE} in this window")
        return text
