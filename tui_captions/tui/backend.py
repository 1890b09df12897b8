"""What the app needs from the rest of the system, behind one small interface.

:class:`RealBackend` imports the audio and ASR packages only inside its
methods, which run in worker threads, so importing the app (and painting its
first screen) never waits for torch. Snapshot tests pass a backend with
fixed data instead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tui_captions.core import logfile

if TYPE_CHECKING:
    from tui_captions.asr.defaults import DownloadProgress
    from tui_captions.asr.engine import AsrModel, DecodeOptions, RunOptions
    from tui_captions.audio.cameras import CameraDevice
    from tui_captions.audio.devices import CaptureDevice
    from tui_captions.audio.protocol import Source
    from tui_captions.core.events import LiveEvent
    from tui_captions.core.writing import Writing
    from tui_captions.pipeline.recording import Recorder
    from tui_captions.pipeline.session import ChannelEngine
    from tui_captions.pipeline.speakers import SpeakerTap
    from tui_captions.speakers.labeller import SpeakerLabeller
    from tui_captions.text.postprocess import TextPostProcessor

LevelsCallback = Callable[[float, float, bool], object]
FailedCallback = Callable[[str], object]
Listener = Callable[["LiveEvent"], None]

# The picker's meter needs levels, not model chunks: 100 ms blocks at 16 kHz.
PROBE_RATE = 16000
PROBE_BLOCK = 1600
POLL_S = 0.2

_log = logging.getLogger(__name__)


class ProbeHandle(Protocol):
    def stop(self, wait: bool = False) -> None: ...


class Backend(Protocol):
    def list_devices(self) -> list[CaptureDevice]: ...

    def list_cameras(self) -> list[CameraDevice]: ...

    def load_model(
        self, spec: str, run: RunOptions, decode: DecodeOptions, progress: DownloadProgress
    ) -> AsrModel: ...

    def create_engine(
        self,
        model: AsrModel,
        options: DecodeOptions,
        listener: Listener,
        recorder: Recorder | None = None,
        speakers: SpeakerTap | None = None,
    ) -> ChannelEngine: ...

    def create_labeller(self, model: Path, sample_rate: int) -> SpeakerLabeller:
        """A channel's speaker labeller, working, for a recognizer's ``sample_rate`` audio
        (raises UserError: it cannot load, or cannot hear that audio)."""
        ...

    def load_post(
        self,
        spec: str | None,
        notice: Callable[[str], None],
        progress: DownloadProgress,
        writing: Writing,
    ) -> TextPostProcessor: ...

    def start_probe(
        self, source: Source, on_levels: LevelsCallback, on_failed: FailedCallback
    ) -> ProbeHandle: ...


class LevelProbe:
    """A capture worker whose chunks only feed a level meter, read by a daemon thread.

    ``on_failed`` gets one line when the meter stops before it was asked to (the source
    could not be read, or a bug, logged): without it the meter would just freeze."""

    def __init__(
        self, source: Source, on_levels: LevelsCallback, on_failed: FailedCallback
    ) -> None:
        from tui_captions.audio.protocol import AudioChunk, EndOfStream, WorkerError
        from tui_captions.audio.worker import CaptureWorker

        self._worker = CaptureWorker(source, PROBE_RATE, PROBE_BLOCK)
        self._stopped = threading.Event()

        def failed(text: str) -> None:
            if not self._stopped.is_set():  # a meter that was let go says nothing
                on_failed(text)

        def pump() -> None:
            try:
                self._worker.start()
                while not self._stopped.is_set():
                    message = self._worker.get(POLL_S)
                    if isinstance(message, AudioChunk):
                        on_levels(message.rms_dbfs, message.peak_dbfs, message.overflow)
                    elif isinstance(message, WorkerError):
                        failed(message.message)
                        break
                    elif isinstance(message, EndOfStream):
                        break
            except Exception as exc:  # a bug: the meter stops, the device is not kept open
                _log.exception("%s: the level meter failed", source.label)
                failed(logfile.mention(f"the level meter failed: {exc!r}"))
            finally:
                self._worker.stop()

        self._thread = threading.Thread(target=pump, name="captions-level-probe", daemon=True)
        self._thread.start()

    def stop(self, wait: bool = False) -> None:
        """Stop reading; ``wait`` until the device is released (before the engine opens it)."""
        self._stopped.set()
        if wait:
            self._thread.join()


class RealBackend:
    def __init__(self) -> None:
        # Start multiprocessing's resource tracker now: spawned later from inside the
        # app, it would pass sys.stderr's fileno, which Textual's print capture sets to -1.
        from multiprocessing import resource_tracker

        resource_tracker.ensure_running()

    def list_devices(self) -> list[CaptureDevice]:
        from tui_captions.audio.devices import list_devices

        return list_devices()

    def list_cameras(self) -> list[CameraDevice]:
        from tui_captions.audio.cameras import list_cameras

        return list_cameras()

    def load_model(
        self, spec: str, run: RunOptions, decode: DecodeOptions, progress: DownloadProgress
    ) -> AsrModel:
        from tui_captions.asr.registry import open_for_running

        return open_for_running(spec, progress, run, decode)

    def create_engine(
        self,
        model: AsrModel,
        options: DecodeOptions,
        listener: Listener,
        recorder: Recorder | None = None,
        speakers: SpeakerTap | None = None,
    ) -> ChannelEngine:
        """A channel's engine; with ``recorder``, its audio is also saved as it is decoded,
        with ``speakers`` also heard by the tap's labeller, when it has one."""
        from tui_captions.pipeline.channel import LiveEngine, tapped

        return LiveEngine(tapped(model.create_stream(options), recorder, speakers), listener)

    def create_labeller(self, model: Path, sample_rate: int) -> SpeakerLabeller:
        from tui_captions.speakers.labeller import open_labeller

        labeller = open_labeller(model, sample_rate)
        labeller.start()
        return labeller

    def load_post(
        self,
        spec: str | None,
        notice: Callable[[str], None],
        progress: DownloadProgress,
        writing: Writing,
    ) -> TextPostProcessor:
        from tui_captions.text.catalog import open_post_processor

        return open_post_processor(spec, notice, progress, writing=writing)

    def start_probe(
        self, source: Source, on_levels: LevelsCallback, on_failed: FailedCallback
    ) -> ProbeHandle:
        return LevelProbe(source, on_levels, on_failed)
