"""Messages that background threads (model loader, engine, level probe) post to the app.

``post_message`` is thread-safe, so the threads never touch widgets; the
app handles each message on its own thread.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from tui_captions.asr.engine import AsrModel
    from tui_captions.audio.devices import CaptureDevice
    from tui_captions.core.events import LiveEvent
    from tui_captions.text.postprocess import TextPostProcessor


class ModelProgress(Message):
    """A step of model loading; ``total`` is None while the size is unknown."""

    def __init__(self, label: str, done: int, total: int | None) -> None:
        super().__init__()
        self.label, self.done, self.total = label, done, total


class ModelLoaded(Message):
    def __init__(self, model: AsrModel, name: str) -> None:
        super().__init__()
        self.model, self.name = model, name


class PostLoaded(Message):
    """The punctuation model (or the rules, if it cannot be had) for final lines."""

    def __init__(self, post: TextPostProcessor) -> None:
        super().__init__()
        self.post = post


class Levels(Message):
    """One chunk's levels, from the engine's or the picker's capture."""

    def __init__(self, rms_dbfs: float, peak_dbfs: float, overflow: bool) -> None:
        super().__init__()
        self.rms_dbfs, self.peak_dbfs, self.overflow = rms_dbfs, peak_dbfs, overflow


class MeterFailed(Message):
    """The picker's level meter stopped for ``device``: ``text`` says why, in one line."""

    def __init__(self, device: CaptureDevice, text: str) -> None:
        super().__init__()
        self.device, self.text = device, text


class EngineEvent(Message):
    """A live-engine event of ``channel`` from its source session number ``generation``
    (older sessions only deliver their final text)."""

    def __init__(self, event: LiveEvent, generation: int, channel: str = "") -> None:
        super().__init__()
        self.event, self.generation, self.channel = event, generation, channel
