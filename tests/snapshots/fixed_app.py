"""An app factory with fixed data (devices, levels, captions, latency) for snapshots.

No clocks, no live levels, no model: what the screens show depends only on
what is injected here, so snapshots are byte-for-byte repeatable.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import cast

from tui_captions.asr.defaults import DownloadProgress
from tui_captions.asr.engine import (
    AsrModel,
    DecodeOptions,
    RecognizerStream,
    RunOptions,
    StreamFormat,
)
from tui_captions.audio.cameras import CameraDevice
from tui_captions.audio.devices import CaptureDevice
from tui_captions.audio.protocol import Camera, FfmpegSource, Source
from tui_captions.core.events import LiveEvent, RecognizerUpdate, SourceStarted
from tui_captions.core.segments import Segment
from tui_captions.core.writing import Writing
from tui_captions.pipeline.recording import Recorder
from tui_captions.pipeline.session import ChannelEngine, LabelledSource, only
from tui_captions.text.postprocess import RuleCaser, TextPostProcessor
from tui_captions.tui.app import AppOptions, CaptionsApp
from tui_captions.tui.backend import FailedCallback, LevelsCallback, Listener, ProbeHandle
from tui_captions.tui.messages import EngineEvent

CAMERAS = [CameraDevice("Integrated Camera: Integrated C", Camera("/dev/video0", "v4l2"))]
DEVICES = [
    CaptureDevice(0, "HDA Intel PCH: ALC257 Analog (hw:0,0)", "ALSA", 2, 48000.0, False),
    CaptureDevice(None, "Built-in Microphone", "PulseAudio", 2, 48000.0, True, "alsa_input.pci"),
    CaptureDevice(
        None, "Monitor of Speakers", "PulseAudio", 2, 48000.0, False, "alsa_output.monitor", True
    ),
    CaptureDevice(3, "USB Headset Mono", "ALSA", 1, 16000.0, False),
]

SENTENCES = [
    "the quick brown fox jumps over the lazy dog",
    "i think we should meet again on friday",
    "captions appear here as people speak",
    "this line is long enough to wrap around in a narrow terminal window so wrapping shows",
]


class Idle:
    """An engine or probe that does nothing: the test feeds the events."""

    position = 0

    def start(self, source: Source, at: int = 0, origin: float | None = None) -> None:
        pass

    def stop(self, wait: bool = False) -> None:
        pass


class FixedModel:
    """A model of the real stream format that is never run (the test feeds the events)."""

    format = StreamFormat(16000, 2560)
    run = RunOptions(1, "int8", "cpu")
    engine = "rnnt"
    languages = ()
    writing = Writing()

    def create_stream(self, options: DecodeOptions) -> RecognizerStream:
        """Only the app's check that the model takes the hotwords (watch words) makes one."""
        return cast(RecognizerStream, object())  # never run: the test feeds the events


class FixedBackend:
    def __init__(self, video: bool = False) -> None:
        self.video = video  # an audio-visual model: the picker offers CAMERAS

    def list_devices(self) -> list[CaptureDevice]:
        return DEVICES

    def list_cameras(self) -> list[CameraDevice]:
        return CAMERAS

    def load_model(
        self, spec: str, run: RunOptions, decode: DecodeOptions, progress: DownloadProgress
    ) -> AsrModel:
        model = FixedModel()
        if self.video:
            model.format = StreamFormat(19_200, 20_480, video_fps=30, crop=44)
        return model

    def create_engine(
        self,
        model: AsrModel,
        options: DecodeOptions,
        listener: Listener,
        recorder: Recorder | None = None,
    ) -> ChannelEngine:
        return Idle()

    def load_post(
        self,
        spec: str | None,
        notice: Callable[[str], None],
        progress: DownloadProgress,
        writing: Writing,
    ) -> TextPostProcessor:
        return RuleCaser()  # the snapshots show sentence case: no model to vary

    def start_probe(
        self, source: Source, on_levels: LevelsCallback, on_failed: FailedCallback
    ) -> ProbeHandle:
        on_levels(-23.5, -9.2, False)
        return Idle()


MEETING = (
    LabelledSource(FfmpegSource("mic.wav"), "You", "microphone"),
    LabelledSource(FfmpegSource("call.wav"), "Them", "system"),
)


def fixed_app(
    tmp: Path,
    theme: str,
    with_source: bool,
    demo: bool = False,
    meeting: bool = False,
    watch: str | None = None,
    strip_lines: int | None = None,
    clear: float | None = None,
    video: bool = False,
) -> CaptionsApp:
    """The app on one fixed source (``with_source``), on two (``meeting``), or in the picker."""
    sources = MEETING if meeting else only(FfmpegSource("meeting.wav")) if with_source else ()
    options = AppOptions(
        model="emformer-librispeech",
        beam=4,
        threads=1,
        sources=sources,
        watch=watch,
        strip_lines=strip_lines,
        clear_after=clear,
        theme=theme,
        demo=demo,
        sessions_dir=tmp / "sessions",
        settings_path=tmp / "settings.toml",
        user_themes_dir=tmp / "themes",
    )
    return CaptionsApp(options, backend=FixedBackend(video), clock=lambda: 0.0)


def update(
    seq: int,
    partial: str,
    finals: tuple[Segment, ...],
    level: float,
    latency: float,
    queue: int = 0,
) -> RecognizerUpdate:
    return RecognizerUpdate(
        seq=seq,
        partial=partial,
        finals=finals,
        compute_ms=9.0,
        latency_ms=latency,
        queue_depth=queue,
        dropped=0,
        rms_dbfs=level - 15.0,
        peak_dbfs=level,
        overflow=False,
    )


def feed(app: CaptionsApp) -> None:
    """Fixed captions, levels and latency figures, as if the engine had run a while."""
    events: list[LiveEvent] = [SourceStarted("meeting.wav", "wav, 16000 Hz", 16000, 1, 40)]
    seq = 0
    for index, sentence in enumerate(SENTENCES):
        segment = Segment(index, index * 4.0, index * 4.0 + 3.0, sentence)
        for step in range(6):
            latency = 60.0 + 40.0 * math.sin(index * 6 + step) ** 2 + (900 if step == 3 else 0)
            final = (segment,) if step == 5 else ()
            events.append(update(seq, "", final, -25.0 + 5 * step, latency))
            seq += 1
    # Eight chunks waiting (1.3 s of audio): the falling-behind warning shows.
    events.append(update(seq, "and this is still being", (), -0.05, 80.0, queue=8))
    for event in events:
        app.post_message(EngineEvent(event, app.generation[""]))


def feed_meeting(app: CaptionsApp) -> None:
    """Two sources taking turns, one line of each overlapping, and each one's partial text."""
    lines = {
        "You": ["can you hear me now", "yes the slides are on screen two"],
        "Them": ["hi everyone thanks for joining", "we can start with the budget", "great"],
    }
    for number, channel in enumerate(("You", "Them")):
        generation = app.generation[channel]
        started = SourceStarted(f"{channel.lower()}.wav", "wav, 16000 Hz", 16000, 1, 40)
        app.post_message(EngineEvent(started, generation, channel))
        for index, text in enumerate(lines[channel]):
            start = 1.0 + index * 5.0 + number * 2.5
            segment = Segment(index, start, start + 2.0, text, channel)
            for step in range(4):
                final = (segment,) if step == 3 else ()
                event = update(index * 4 + step, "", final, -30.0 + 6 * number, 90.0 + 30 * number)
                app.post_message(EngineEvent(event, generation, channel))
        partial = update(99, "and the next" if number else "one more", (), -20.0, 95.0)
        app.post_message(EngineEvent(partial, generation, channel))
