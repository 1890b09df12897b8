"""Voice activity: Silero VAD's ONNX model (shipped in the ``silero-vad`` wheel) on ONNX Runtime.

The wheel's Python package imports torch; only its model file is used here, found
through the distribution's metadata, so nothing imports torch and nothing is
downloaded. Silero's contract: at 16 kHz, windows of 512 new samples, each
preceded by the previous window's last 64 samples, and a recurrent state (2, 1, 128)
carried from window to window; the output is the probability of speech.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from tui_captions.core.onnx import open_session
from tui_captions.errors import ModelError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
WINDOW = 512  # samples: 32 ms
CONTEXT = 64
STATE_SHAPE = (2, 1, 128)
WINDOW_S = WINDOW / SAMPLE_RATE


def silero_model_path() -> Path:
    """The ONNX model inside the installed ``silero-vad`` distribution."""
    try:
        located = metadata.distribution("silero-vad").locate_file("silero_vad/data/silero_vad.onnx")
    except metadata.PackageNotFoundError:
        raise ModelError(
            "speaker labels need the silero-vad package: pip install silero-vad"
        ) from None
    path = Path(str(located))
    if not path.is_file():
        raise ModelError(f"{path}: silero-vad's model is missing; reinstall silero-vad")
    return path


def _load(path: Path) -> Any:  # an onnxruntime.InferenceSession
    session = open_session(path)
    names = [i.name for i in session.get_inputs()]
    if names != ["input", "state", "sr"]:
        raise ModelError(f"{path}: inputs {names} are not Silero VAD's (input, state, sr)")
    return session


class SileroVad:
    """Speech probabilities, one per 32 ms window, for audio fed in pieces of any size."""

    def __init__(self, path: Path | None = None) -> None:
        self._session = _load(path or silero_model_path())
        self._rate = np.array(SAMPLE_RATE, dtype=np.int64)
        self.reset()

    def reset(self) -> None:
        """Forget the audio so far (a new source or a gap)."""
        self._state = np.zeros(STATE_SHAPE, dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def accept(self, samples: np.ndarray) -> np.ndarray:
        """The probabilities of every window completed by ``samples`` (16 kHz float32)."""
        audio = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32)])
        count = len(audio) // WINDOW
        self._pending = audio[count * WINDOW :]
        probabilities = np.empty(count, dtype=np.float32)
        for index in range(count):
            window = audio[index * WINDOW : (index + 1) * WINDOW]
            framed = np.concatenate([self._context, window])[None, :]
            output, self._state = self._session.run(
                None, {"input": framed, "state": self._state, "sr": self._rate}
            )
            self._context = window[-CONTEXT:]
            probabilities[index] = float(output[0, 0])
        return probabilities


@dataclass(frozen=True)
class SpeechSettings:
    """Hysteresis on the probabilities: speech starts above ``onset``, ends after
    ``min_silence_s`` below ``offset``; regions shorter than ``min_speech_s`` are dropped."""

    onset: float = 0.5
    offset: float = 0.35
    min_silence_s: float = 0.2
    min_speech_s: float = 0.2
    pad_s: float = 0.03


@dataclass(frozen=True)
class Region:
    """Speech from ``start`` to ``end`` seconds; ``closed`` once its silence has come."""

    start: float
    end: float
    closed: bool


class SpeechDetector:
    """Speech regions in session time from a stream of window probabilities."""

    def __init__(self, settings: SpeechSettings | None = None) -> None:
        self.settings = settings or SpeechSettings()
        self._start: float | None = None
        self._last_speech = 0.0
        self._time = 0.0

    @property
    def time(self) -> float:
        """The end of the audio judged so far, in session seconds."""
        return self._time

    def seek(self, time: float) -> None:
        """The next window starts at ``time`` (audio after a gap); an open region ends."""
        self._time = time

    def accept(self, probabilities: np.ndarray) -> list[Region]:
        """The regions closed by these windows, then the open one (if speech goes on)."""
        settings = self.settings
        regions: list[Region] = []
        for probability in probabilities:
            window_start, self._time = self._time, self._time + WINDOW_S
            if self._start is None:
                if probability >= settings.onset:
                    self._start = max(0.0, window_start - settings.pad_s)
                    self._last_speech = self._time
            elif probability >= settings.offset:
                self._last_speech = self._time
            elif self._time - self._last_speech >= settings.min_silence_s:
                region = self._close()
                if region is not None:
                    regions.append(region)
        if self._start is not None:
            regions.append(Region(self._start, self._time, closed=False))
        return regions

    def finish(self) -> Region | None:
        """The end of the audio: the open region, closed."""
        return self._close() if self._start is not None else None

    def _close(self) -> Region | None:
        assert self._start is not None
        start, end = self._start, min(self._time, self._last_speech + self.settings.pad_s)
        self._start = None
        return (
            Region(start, end, closed=True) if end - start >= self.settings.min_speech_s else None
        )


def speech_regions(samples: np.ndarray, vad: SileroVad | None = None) -> list[Region]:
    """Every speech region of a whole recording (16 kHz float32)."""
    detector = SpeechDetector()
    regions = [r for r in detector.accept((vad or SileroVad()).accept(samples)) if r.closed]
    last = detector.finish()
    return [*regions, last] if last is not None else regions
