"""The live engine: a capture worker feeding an inference thread that runs the recognizer.

Everything the engine learns is passed to one ``listener`` callback, called
on the inference thread: the TUI forwards events with ``post_message`` /
``call_from_thread``, the headless ``live`` command puts them on a queue and
prints them. Sessions can follow one another (``start`` a new source after
the last one ended or was stopped) on one recognizer and one time line.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from tui_captions.asr.model_dir import ModelConfig
from tui_captions.asr.recognizer import StepResult
from tui_captions.asr.stats import percentile
from tui_captions.audio.protocol import (
    AudioChunk,
    EndOfStream,
    Source,
    Started,
    WorkerError,
)
from tui_captions.audio.worker import DEFAULT_QUEUE_CHUNKS, CaptureWorker
from tui_captions.transcript.segments import Segment

# How often the inference thread looks at the worker when no audio comes:
# a dead worker is reported within this plus CaptureWorker's own short wait.
_POLL_S = 0.25


class StreamingRecognizer(Protocol):
    """What the engine needs of :class:`tui_captions.asr.recognizer.Recognizer`."""

    @property
    def config(self) -> ModelConfig: ...

    def accept(self, samples: np.ndarray, chunk_index: int | None = None) -> StepResult: ...

    def finish(self) -> tuple[Segment, ...]: ...

    def reset(self) -> None: ...


@dataclass(frozen=True)
class SourceStarted:
    """The worker opened the source (``description`` says what it natively is)."""

    source: Source
    description: str
    sample_rate: float
    channels: int
    startup_ms: float


@dataclass(frozen=True)
class RecognizerUpdate:
    """What one chunk changed, and how the pipeline keeps up.

    ``latency_ms`` is ``time.monotonic()`` at the update minus the capture
    time of the chunk's last sample; ``dropped`` counts chunks lost so far
    in this session because the queue was full.
    """

    seq: int
    partial: str
    finals: tuple[Segment, ...]
    compute_ms: float
    latency_ms: float
    queue_depth: int
    dropped: int
    rms_dbfs: float
    peak_dbfs: float
    overflow: bool


@dataclass(frozen=True)
class SourceEnded:
    """The session is over; ``finals`` is the text that was still partial.

    ``reason``: ``"end"`` (source ended), ``"stopped"`` (``stop()``) or
    ``"error"`` (then ``error`` says what happened, in one line).
    """

    reason: str
    finals: tuple[Segment, ...]
    dropped: int
    error: WorkerError | None = None


LiveEvent = SourceStarted | RecognizerUpdate | SourceEnded
Listener = Callable[[LiveEvent], None]


class LiveEngine:
    """Capture worker -> inference thread -> ``listener``; one session at a time."""

    def __init__(
        self,
        recognizer: StreamingRecognizer,
        listener: Listener,
        max_queue: int = DEFAULT_QUEUE_CHUNKS,
    ) -> None:
        self.recognizer = recognizer
        self._listener = listener
        self._max_queue = max_queue
        self._thread: threading.Thread | None = None
        self._worker: CaptureWorker | None = None
        self._stopping = threading.Event()
        self._next_index = 0  # time-line position (in chunks) of the next session

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, source: Source) -> None:
        """Start capturing ``source``; events follow on the listener (``SourceEnded`` last)."""
        if self.running:
            raise RuntimeError("a live session is already running; stop() it first")
        config = self.recognizer.config
        self._worker = CaptureWorker(
            source, config.sample_rate, config.chunk_samples, self._max_queue
        )
        self._stopping = threading.Event()
        self._thread = threading.Thread(
            target=self._run,
            args=(self._worker, self._stopping),
            name="captions-inference",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """End the session within about a second; the listener gets its ``SourceEnded``.

        May be called from the listener itself (then it does not wait).
        """
        thread, worker = self._thread, self._worker
        if thread is None or worker is None:
            return
        self._stopping.set()
        # The inference thread stops the worker itself: closing the worker's queue
        # under its `get` would kill the thread before it reports `SourceEnded`.
        if thread is not threading.current_thread():
            thread.join()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the session ends by itself; False if ``timeout`` ran out first."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _run(self, worker: CaptureWorker, stopping: threading.Event) -> None:
        launched = time.monotonic()
        worker.start()
        self.recognizer.reset()
        base = self._next_index
        expected_seq = 0
        dropped = 0
        reason, error = "stopped", None
        while not stopping.is_set():
            message = worker.get(_POLL_S)
            if message is None or stopping.is_set():
                continue
            if isinstance(message, Started):
                self._listener(
                    SourceStarted(
                        worker.source,
                        message.description,
                        message.sample_rate,
                        message.channels,
                        (time.monotonic() - launched) * 1000.0,
                    )
                )
            elif isinstance(message, AudioChunk):
                dropped += message.seq - expected_seq
                expected_seq = message.seq + 1
                step = self.recognizer.accept(message.samples, chunk_index=base + message.seq)
                self._listener(_update(message, step, worker.queue_depth(), dropped))
            elif isinstance(message, EndOfStream):
                reason = "end"
                dropped += message.next_seq - expected_seq
                expected_seq = message.next_seq
                break
            else:
                reason, error = "error", message
                break
        worker.stop()
        self._next_index = base + expected_seq
        self._listener(SourceEnded(reason, self.recognizer.finish(), dropped, error))


def _update(chunk: AudioChunk, step: StepResult, depth: int, dropped: int) -> RecognizerUpdate:
    return RecognizerUpdate(
        seq=chunk.seq,
        partial=step.partial,
        finals=step.finals,
        compute_ms=step.compute_ms,
        latency_ms=(time.monotonic() - chunk.t_last) * 1000.0,
        queue_depth=depth,
        dropped=dropped,
        rms_dbfs=chunk.rms_dbfs,
        peak_dbfs=chunk.peak_dbfs,
        overflow=chunk.overflow,
    )


class LiveStats:
    """Rolling figures for ``--stats-every`` and the TUI's latency pane.

    Latency and compute percentiles cover the last ``window_s`` seconds of
    audio, so memory stays flat in long sessions; counts cover the session.
    """

    def __init__(self, chunk_seconds: float, window_s: float = 60.0) -> None:
        size = max(1, round(window_s / chunk_seconds))
        self._chunk_seconds = chunk_seconds
        self._latency: deque[float] = deque(maxlen=size)
        self._compute: deque[float] = deque(maxlen=size)
        self.chunks = 0
        self.dropped = 0
        self.queue_depth = 0
        self.queue_depth_max = 0
        self.overflows = 0

    def add(self, update: RecognizerUpdate) -> None:
        self.chunks += 1
        self._latency.append(update.latency_ms)
        self._compute.append(update.compute_ms)
        self.dropped = update.dropped
        self.queue_depth = update.queue_depth
        self.queue_depth_max = max(self.queue_depth_max, update.queue_depth)
        self.overflows += int(update.overflow)

    def summary(self) -> dict[str, float | int | None]:
        audio_s = len(self._compute) * self._chunk_seconds
        return {
            "chunks": self.chunks,
            "latency_ms_p50": _rounded(percentile(self._latency, 50)),
            "latency_ms_p95": _rounded(percentile(self._latency, 95)),
            "compute_ms_p50": _rounded(percentile(self._compute, 50)),
            "rtf": _rounded(sum(self._compute) / 1000.0 / audio_s if audio_s else math.nan, 4),
            "queue_depth": self.queue_depth,
            "queue_depth_max": self.queue_depth_max,
            "dropped": self.dropped,
            "overflows": self.overflows,
        }


def _rounded(value: float, digits: int = 1) -> float | None:
    """JSON has no NaN: figures with no data yet are null."""
    return None if math.isnan(value) else round(value, digits)
