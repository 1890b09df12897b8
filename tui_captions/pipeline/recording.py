"""``--record``: the session's audio as it reached the recognizer, saved as FLAC.

The file sits next to the journal (same name, ``.flac``), so ``captions-tui
transcribe`` can redo a session later. Packets are flushed as they are
written, so a crash loses at most the encoder's last, unfinished frame; the
stream length in the FLAC header is then missing, which decoders tolerate.
A recording that cannot be written warns once and stops; captions go on (an
empty file is removed).
Chunks the capture dropped are recorded as silence, so times in the journal
are times in the recording.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import av
import numpy as np

from tui_captions.pipeline.taps import TappedStream
from tui_captions.transcript.journal import WarningHandler

if TYPE_CHECKING:
    from tui_captions.asr.engine import RecognizerStream, StepResult


class Recorder:
    """Mono float32 chunks in, 16-bit FLAC out (lossless for what capture yields)."""

    def __init__(
        self, path: Path, sample_rate: int, *, on_warning: WarningHandler | None = None
    ) -> None:
        self.path = path
        self.warning: str | None = None
        self._on_warning = on_warning
        self._samples = 0
        self._container: av.container.OutputContainer | None = None
        try:
            self._container = av.open(
                str(path), mode="w", format="flac", options={"flush_packets": "1"}
            )
            self._stream = self._container.add_stream("flac", rate=sample_rate)
            self._stream.layout = "mono"
            self._stream.format = "s16"
        except (av.error.FFmpegError, OSError) as exc:
            self._fail(exc)

    def write(self, samples: np.ndarray, chunk_index: int | None = None) -> None:
        """Encode one chunk of float samples in [-1, 1] (clipped beyond) at its place
        on the session's time line: chunk ``chunk_index``, by default right after the last."""
        if self._container is None:
            return
        pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype(np.int16)
        if chunk_index is not None and chunk_index * pcm.size > self._samples:
            pcm = np.concatenate((np.zeros(chunk_index * pcm.size - self._samples, np.int16), pcm))
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self._stream.rate
        frame.pts = self._samples
        self._samples += pcm.size
        try:
            self._container.mux(self._stream.encode(frame))
        except (av.error.FFmpegError, OSError) as exc:
            self._fail(exc)

    def close(self) -> None:
        """Flush the encoder and finish the header (total length) of the file."""
        if self._container is None:
            return
        try:
            self._container.mux(self._stream.encode(None))
            self._container.close()
        except (av.error.FFmpegError, OSError) as exc:
            self._fail(exc)
        self._container = None

    def _fail(self, exc: Exception) -> None:
        self.warning = f"cannot record to {self.path} ({getattr(exc, 'strerror', None) or exc})"
        if self._on_warning is not None:
            self._on_warning(f"{self.warning}; recording stopped, captions go on")
        if self._container is not None:
            container, self._container = self._container, None
            with contextlib.suppress(av.error.FFmpegError, OSError):  # the warning says so
                container.close()
        with contextlib.suppress(OSError):  # nothing recorded: no empty file to list or play
            if self.path.stat().st_size == 0:
                self.path.unlink()


class RecordingStream(TappedStream):
    """A recognizer stream that records each chunk on its way in: ``--record`` for any engine."""

    def __init__(self, recognizer: RecognizerStream, recorder: Recorder) -> None:
        super().__init__(recognizer)
        self.recorder = recorder

    def accept(
        self, samples: np.ndarray, chunk_index: int | None = None, video: np.ndarray | None = None
    ) -> StepResult:
        self.recorder.write(samples, chunk_index)
        return self.recognizer.accept(samples, chunk_index, video)
