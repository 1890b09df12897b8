"""What a live source and its recognizer report, from the inference thread to a front end."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tui_captions.core.names import short_name
from tui_captions.core.segments import Segment


@dataclass(frozen=True)
class SourceStarted:
    """The worker opened the source (``description`` says what it natively is)."""

    label: str
    description: str
    sample_rate: float
    channels: int
    startup_ms: float
    video: str | None = None  # what the video is, for an audio-visual source

    @property
    def summary(self) -> str:
        """The source and, if it says more, what it natively is: "talk.flac (flac, ...)"."""
        name = short_name(self.label)
        said = name if self.description == self.label else f"{name} ({self.description})"
        return f"{said}, video {self.video}" if self.video else said


@dataclass(frozen=True)
class RecognizerUpdate:
    """What one chunk changed, and how the pipeline keeps up.

    ``latency_ms`` is ``time.monotonic()`` at the update minus the capture
    time of the chunk's last sample; ``dropped`` counts chunks lost so far
    in this session because the queue was full. ``audio_end_s``: where the chunk
    ends on the session's time line (the one word times are on), None if unknown;
    with ``latency_ms`` it places the update on that line (the felt delay's clock).
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
    faces: int | None = None  # an audio-visual source: frames of the chunk with a face
    face: np.ndarray | None = None  # and the last of those crops (44x44 uint8)
    audio_end_s: float | None = None


@dataclass(frozen=True)
class SourceEnded:
    """The session is over; ``finals`` is the text that was still partial.

    ``reason``: ``"end"`` (source ended), ``"stopped"`` (``stop()``), ``"error"``
    (the source or its capture failed: trying it again may work) or ``"failed"``
    (captioning itself failed, a bug: the traceback is logged); with the last two,
    ``error`` says what happened, in one line.
    """

    reason: str
    finals: tuple[Segment, ...]
    dropped: int
    error: str | None = None


@dataclass(frozen=True)
class SourceQuiet:
    """The source has delivered nothing for a while (a sound server stops an idle
    monitor): what was partial is final now, ``finals``, as an endpoint would make it."""

    finals: tuple[Segment, ...]


LiveEvent = SourceStarted | RecognizerUpdate | SourceQuiet | SourceEnded
