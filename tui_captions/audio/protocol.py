"""What crosses the process boundary between the capture worker and the main process.

Every type here is a small frozen dataclass of plain values and NumPy arrays,
so it pickles through a ``multiprocessing`` queue and can be read by the TUI
and the headless commands alike (one definition each, as the design asks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np


@dataclass(frozen=True)
class Camera:
    """An FFmpeg video input beside the audio (v4l2 on Linux, avfoundation, dshow; lavfi for
    tests): its frames are cropped to the face for an audio-visual model."""

    url: str
    input_format: str | None = None
    options: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.input_format}:{self.url}" if self.input_format else self.url


@dataclass(frozen=True)
class DeviceSource:
    """A PortAudio input device, or a PulseAudio/PipeWire source opened through it.

    ``portaudio_device`` is what PortAudio opens (an index, or the name
    ``"pulse"`` for sound-server sources); ``pulse_source`` is then handed to
    the ALSA PulseAudio plugin through ``PULSE_SOURCE`` in the worker only.
    """

    label: str
    portaudio_device: int | str
    channels: int
    sample_rate: float
    pulse_source: str | None = None
    camera: Camera | None = None  # an audio-visual model's video


@dataclass(frozen=True)
class FfmpegSource:
    """Anything FFmpeg reads: a file, a URL or an FFmpeg input device.

    Decoded audio is released at ``speed`` times real time, so a file plays
    like a live source; live sources already deliver at that pace.
    """

    url: str
    input_format: str | None = None
    options: dict[str, str] = field(default_factory=dict)
    speed: float = 1.0
    camera: Camera | None = None  # an audio-visual model's video, if not the input's own
    video: bool = False  # an audio-visual model: crop faces from the input's own video

    @property
    def label(self) -> str:
        return f"{self.input_format}:{self.url}" if self.input_format else self.url


Source = DeviceSource | FfmpegSource


@dataclass(frozen=True)
class AudioChunk:
    """Exactly one model segment of 16 kHz mono float32 audio, with when and how loud.

    ``t_first``/``t_last`` are ``time.monotonic()`` capture times of the first
    and last sample; ``overflow`` says the source lost input just before it.
    """

    seq: int
    samples: np.ndarray
    t_first: float
    t_last: float
    rms_dbfs: float
    peak_dbfs: float
    overflow: bool = False
    crops: np.ndarray | None = None  # an audio-visual source: (frames, 44, 44) uint8 faces
    faces: int = 0  # of those, how many show a face (the others are black)


@dataclass(frozen=True)
class Started:
    """The source is open; what it natively delivers (before resampling)."""

    description: str
    sample_rate: float
    channels: int
    video: str | None = None  # what the video is, for an audio-visual source


ErrorKind = Literal["open", "lost", "died"]


@dataclass(frozen=True)
class WorkerError:
    """The capture stopped for a reason the user should see.

    ``open``: the source could not be opened; ``lost``: it failed mid-stream
    (device unplugged, sound server gone, decode error); ``died``: the worker
    process itself ended without saying why (reported by the parent).
    """

    kind: ErrorKind
    message: str


@dataclass(frozen=True)
class EndOfStream:
    """The source ended normally; ``next_seq`` lets the reader count trailing drops."""

    next_seq: int


WorkerMessage = Started | AudioChunk | WorkerError | EndOfStream
