"""The live engine: a capture worker feeding an inference thread that runs the recognizer.

Everything the engine learns is passed to one ``listener`` callback, called
on the inference thread: the TUI forwards events with ``post_message`` /
``call_from_thread``, the headless ``live`` command puts them on a queue and
prints them. Sessions can follow one another (``start`` a new source after
the last one ended or was stopped) on one recognizer and one time line.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

import numpy as np

from tui_captions.asr.engine import RecognizerStream, StepResult
from tui_captions.audio.protocol import AudioChunk, EndOfStream, Source, Started
from tui_captions.audio.worker import QUEUE_SECONDS, CaptureWorker, Video
from tui_captions.core.events import (
    LiveEvent,
    RecognizerUpdate,
    SourceEnded,
    SourceQuiet,
    SourceStarted,
)
from tui_captions.core.segments import Segment
from tui_captions.pipeline.recording import Recorder, RecordingStream
from tui_captions.pipeline.speakers import ListenedStream, SpeakerTap

# A source this many chunks behind its capture times skipped them (no data came):
# it moves on to where its chunks belong. Fewer is timing jitter.
_GAP_CHUNKS = 2
# A source silent this long (no chunks at all) has its partial text made final.
QUIET_FINISH_S = 1.5
# How often the inference thread looks at the worker when no audio comes:
# a dead worker is reported within this plus CaptureWorker's own short wait.
_POLL_S = 0.25


Listener = Callable[[LiveEvent], None]

_log = logging.getLogger(__name__)


def tapped(
    stream: RecognizerStream, recorder: Recorder | None = None, speakers: SpeakerTap | None = None
) -> RecognizerStream:
    """``stream``, its chunks also heard by ``recorder`` and ``speakers``' labeller if given."""
    if speakers is not None:
        stream = ListenedStream(stream, speakers)
    if recorder is not None:
        stream = RecordingStream(stream, recorder)
    return stream


class LiveEngine:
    """Capture worker -> inference thread -> ``listener``; one session at a time."""

    def __init__(
        self,
        recognizer: RecognizerStream,
        listener: Listener,
        queue_seconds: float = QUEUE_SECONDS,
    ) -> None:
        self.recognizer = recognizer
        self._listener = listener
        self._queue_seconds = queue_seconds
        self._thread: threading.Thread | None = None
        self._worker: CaptureWorker | None = None
        self._stopping = threading.Event()
        self.position = 0
        """Where the next chunk goes on the session's time line, in chunks."""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, source: Source, at: int | None = None, origin: float | None = None) -> None:
        """Start capturing ``source``, its first chunk at time-line position ``at`` (default:
        right after the last session); events follow on the listener (``SourceEnded`` last).

        With ``origin`` (a ``time.monotonic()`` time: where the time line starts), chunks
        are placed by when they were captured: a source that delivers nothing for a while
        (a sound server's idle monitor) keeps its times comparable with the others'.
        """
        if self.running:
            raise RuntimeError("a live session is already running; stop() it first")
        stream_format = self.recognizer.format
        video = (
            Video(stream_format.video_fps, stream_format.frames_per_chunk)
            if stream_format.wants_video
            else None
        )
        self._worker = CaptureWorker(
            source,
            stream_format.sample_rate,
            stream_format.chunk_samples,
            self._queue_seconds,
            video,
        )
        self._stopping = threading.Event()
        self.position = max(self.position, at or 0)
        self._thread = threading.Thread(
            target=self._run,
            args=(self._worker, self._stopping, origin),
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

    def _run(self, worker: CaptureWorker, stopping: threading.Event, origin: float | None) -> None:
        """The inference thread: whatever fails in it (the recognizer, the queue) still
        stops the worker and ends the session with a ``SourceEnded`` saying what failed,
        so no front end waits for a source that is gone."""
        launched = time.monotonic()
        base = self.position
        chunk_seconds = self.recognizer.format.chunk_seconds
        expected_seq = 0
        dropped = 0
        reason = "stopped"
        error: str | None = None
        try:
            worker.start()
            self.recognizer.reset()
            last_chunk = time.monotonic()
            partial = False
            while not stopping.is_set():
                message = worker.get(_POLL_S)
                if message is None and partial and time.monotonic() - last_chunk > QUIET_FINISH_S:
                    # No audio at all, so no endpoint can come: end the line now.
                    partial = False
                    self._listener(SourceQuiet(self.recognizer.finish()))
                if message is None or stopping.is_set():
                    continue
                if isinstance(message, Started):
                    self._listener(
                        SourceStarted(
                            worker.source.label,
                            message.description,
                            message.sample_rate,
                            message.channels,
                            (time.monotonic() - launched) * 1000.0,
                            message.video,
                        )
                    )
                elif isinstance(message, AudioChunk):
                    dropped += message.seq - expected_seq
                    expected_seq = message.seq + 1
                    index = base + message.seq
                    if origin is not None:
                        captured = round((message.t_first - origin) / chunk_seconds)
                        if captured - index >= _GAP_CHUNKS:  # nothing came for a while
                            base += captured - index
                            index = captured
                    step = self.recognizer.accept(message.samples, index, message.crops)
                    self.position = base + expected_seq
                    last_chunk, partial = time.monotonic(), bool(step.partial)
                    ends_at = (index + 1) * chunk_seconds
                    self._listener(_update(message, step, worker.queue_depth(), dropped, ends_at))
                elif isinstance(message, EndOfStream):
                    reason = "end"
                    dropped += message.next_seq - expected_seq
                    expected_seq = message.next_seq
                    break
                else:
                    reason, error = "error", message.message
                    break
        except Exception as exc:  # a bug: the traceback is logged, the front end gets one line
            _log.exception("%s: captioning failed", worker.source.label)
            reason, error = "failed", f"{worker.source.label}: captioning failed ({exc!r})"
        finally:
            worker.stop()
        self.position = base + expected_seq
        self._listener(SourceEnded(reason, self._last_words(worker), dropped, error))

    def _last_words(self, worker: CaptureWorker) -> tuple[Segment, ...]:
        """What was still partial, made final; nothing if the recognizer fails at that too."""
        try:
            return self.recognizer.finish()
        except Exception:
            _log.exception("%s: the last words could not be recognized", worker.source.label)
            return ()


def _update(
    chunk: AudioChunk, step: StepResult, depth: int, dropped: int, audio_end_s: float
) -> RecognizerUpdate:
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
        faces=None if chunk.crops is None else chunk.faces,
        face=_last_face(chunk),
        audio_end_s=audio_end_s,
    )


def _last_face(chunk: AudioChunk) -> np.ndarray | None:
    """The chunk's last crop with a face (for the camera pane), if any."""
    if chunk.crops is None:
        return None
    seen = [crop for crop in chunk.crops if crop.any()]
    return seen[-1] if seen else None
