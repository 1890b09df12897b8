"""Messages that background threads (model loader, engine, level probe) post to the app.

``post_message`` is thread-safe, so the threads never touch widgets; the
app handles each message on its own thread.
"""

from __future__ import annotations

from typing import Any

from textual.message import Message

from tui_captions.tui.backend import CaptionUpdate


class ModelProgress(Message):
    """A step of model loading; ``total`` is None while the size is unknown."""

    def __init__(self, label: str, done: int, total: int | None) -> None:
        super().__init__()
        self.label, self.done, self.total = label, done, total


class ModelLoaded(Message):
    def __init__(self, model: Any, name: str, seconds: float) -> None:
        super().__init__()
        self.model, self.name, self.seconds = model, name, seconds


class Levels(Message):
    """One chunk's levels, from the engine's or the picker's capture."""

    def __init__(self, rms_dbfs: float, peak_dbfs: float, overflow: bool) -> None:
        super().__init__()
        self.rms_dbfs, self.peak_dbfs, self.overflow = rms_dbfs, peak_dbfs, overflow


class EngineUpdate(Message):
    """A recognizer update from engine run number ``generation`` (older runs are ignored)."""

    def __init__(self, update: CaptionUpdate, generation: int) -> None:
        super().__init__()
        self.update, self.generation = update, generation


class SourceState(Message):
    """The capture started, ended, or failed (``error`` set); ``generation`` names the run."""

    def __init__(
        self,
        generation: int,
        *,
        started: str | None = None,
        ended: bool = False,
        error: str | None = None,
    ) -> None:
        super().__init__()
        self.generation, self.started, self.ended, self.error = generation, started, ended, error
