"""A recognizer stream that fails mid-session, as a bug in recognition would."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tui_captions.asr.engine import DecodeOptions, RunOptions, StepResult, StreamFormat
from tui_captions.core.segments import Segment
from tui_captions.core.writing import Writing

FAILURE = "the decoder's state is corrupt"


class FailingStream:
    """Takes ``good`` chunks (calling ``on_chunk`` with each one's number), then raises."""

    format = StreamFormat(16000, 2560)

    def __init__(self, good: int = 2, on_chunk: Callable[[int], None] | None = None) -> None:
        self.good = good
        self.chunks = 0
        self._on_chunk = on_chunk

    def accept(
        self, samples: np.ndarray, chunk_index: int | None = None, video: np.ndarray | None = None
    ) -> StepResult:
        self.chunks += 1
        if self._on_chunk is not None:
            self._on_chunk(self.chunks)
        if self.chunks > self.good:
            raise RuntimeError(FAILURE)
        return StepResult("", (), 1.0)

    def finish(self) -> tuple[Segment, ...]:
        return ()

    def reset(self) -> None:
        self.chunks = 0


class FailingModel:
    """A model whose every stream fails after ``good`` chunks."""

    format = FailingStream.format
    run = RunOptions(1, "int8", "cpu")
    engine = "rnnt"
    languages = ()
    writing = Writing()

    def __init__(self, good: int = 2) -> None:
        self.good = good

    def create_stream(self, options: DecodeOptions) -> FailingStream:
        return FailingStream(self.good)
