"""A recognizer stream whose chunks something else hears too: a recording, a speaker
labeller. Each wraps the stream it is given and hands everything else on unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from tui_captions.asr.engine import RecognizerStream, StepResult, StreamFormat
    from tui_captions.core.segments import Segment


class TappedStream:
    """Hands on all but :meth:`accept`, which a tap overrides to hear each chunk."""

    def __init__(self, recognizer: RecognizerStream) -> None:
        self.recognizer = recognizer

    @property
    def format(self) -> StreamFormat:
        return self.recognizer.format

    def accept(
        self, samples: np.ndarray, chunk_index: int | None = None, video: np.ndarray | None = None
    ) -> StepResult:
        return self.recognizer.accept(samples, chunk_index, video)

    def finish(self) -> tuple[Segment, ...]:
        return self.recognizer.finish()

    def reset(self) -> None:
        self.recognizer.reset()
