"""The spawned capture worker, and the parent's handle on it.

The worker reads a source (PortAudio device or FFmpeg input), converts it to
16 kHz mono float32, cuts model-sized :class:`AudioChunk` objects and puts
them on a bounded queue without ever blocking: when the queue is full the
chunk is dropped (its ``seq`` leaves a gap the reader counts). It imports
neither torch nor textual, so it starts in a fraction of a second; it runs
in its own process so the recognizer's CPU use and the GIL never make the
capture miss samples.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing as mp
import os
import queue
import signal
import sys
import threading
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.queues import Queue
from typing import Any

import numpy as np

from tui_captions.audio.chunking import Chunker
from tui_captions.audio.protocol import (
    AudioChunk,
    Camera,
    DeviceSource,
    EndOfStream,
    FfmpegSource,
    Source,
    Started,
    WorkerError,
    WorkerMessage,
)
from tui_captions.errors import AudioSourceError

QUEUE_SECONDS = 10.0  # of audio waiting for the recognizer: rides out hiccups, bounds memory
STOP_TIMEOUT_S = 0.8  # then the worker is killed: stop() returns within 1 s
STALL_TIMEOUT_S = 2.0  # a device silent (not even zeros) this long is gone
FIRST_DATA_TIMEOUT_S = 5.0  # sound servers may take a while to deliver the first block
_POLL_S = 0.05
_log = logging.getLogger(__name__)  # in the main process: the worker has no log handler
_PRESENCE_CHECK_S = 0.5  # how often a sound-server source is checked to still exist
_RESYNC_S = 0.5  # an FFmpeg source this far behind its pace restarts its time line
_CONTROL_PUT_TIMEOUT_S = 1.0
_ORPHAN_CHECK_S = 0.25  # the watchdog's look at the parent, where the kernel cannot tell us
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
CAMERA_GONE_S = 1.0  # a camera silent this long after its last frame is lost
PULSE_MAX_CHANNELS = 32  # PA_CHANNELS_MAX: what a sound server's stream can carry


def die_with_parent(parent_pid: int) -> None:
    """End this process as soon as its parent is gone, however the parent ended.

    A worker that outlived the app would keep the user's microphone open. On
    Linux the kernel sends SIGKILL when the parent thread that started us ends
    (``PR_SET_PDEATHSIG``): nothing here has to run, so a callback blocked in
    PortAudio or a full queue cannot delay it, and closing our descriptors
    releases the capture stream. A watchdog thread backs it up (and is the
    mechanism elsewhere): it sees the re-parenting and leaves at once.
    """
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:  # it died before the kernel was asked to tell us
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(_ORPHAN_CHECK_S)
        os._exit(1)  # no clean-up that could block: the kernel closes the stream

    threading.Thread(target=watch, name="captions-orphan-watch", daemon=True).start()


class StopSignal:
    """The worker's view of "stop": the parent's end of a pipe was written to or closed.

    A pipe rather than an ``mp.Event``: setting an Event whose waiter was
    killed deadlocks the parent. (A parent that dies ends the worker through
    :func:`die_with_parent`, not through this.)
    """

    def __init__(self, reader: Connection) -> None:
        self._reader = reader

    def is_set(self) -> bool:
        return self._reader.poll()

    def wait(self, timeout: float) -> bool:
        return self._reader.poll(timeout)


class _Sender:
    """Puts messages on the queue: chunks are dropped when full, control messages wait briefly."""

    def __init__(self, out: Queue[WorkerMessage]) -> None:
        self._out = out
        self.started = False

    def chunk(self, chunk: AudioChunk) -> None:
        with contextlib.suppress(queue.Full):
            self._out.put_nowait(chunk)

    def control(self, message: Started | WorkerError | EndOfStream) -> None:
        self.started = self.started or isinstance(message, Started)
        with contextlib.suppress(queue.Full):
            self._out.put(message, timeout=_CONTROL_PUT_TIMEOUT_S)


@dataclass(frozen=True)
class Video:
    """An audio-visual model's video: frames a second, and how many go with a chunk."""

    fps: int
    frames_per_chunk: int


def worker_main(
    source: Source,
    sample_rate: int,
    chunk_samples: int,
    out: Queue[WorkerMessage],
    stop_reader: Connection,
    parent_pid: int,
    video: Video | None = None,
) -> None:
    """Entry point of the spawned process: capture, hand over what was sent, leave."""
    die_with_parent(parent_pid)
    # Ctrl+C in a terminal, and the hang-up of a closed one, reach the whole process
    # group: the parent decides (and if it dies of them, so does this process).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    stop = StopSignal(stop_reader)
    capture(source, sample_rate, chunk_samples, out, stop, video)
    if stop.is_set():
        # Nobody may read what is still buffered; do not hang on exit flushing it.
        out.cancel_join_thread()
    out.close()
    out.join_thread()
    # No interpreter exit handlers: sounddevice's (Pa_Terminate) can deadlock with a
    # stream still being aborted, which once kept a worker and its microphone for 40
    # minutes. The kernel releases the device and everything else we hold.
    os._exit(0)


def capture(
    source: Source,
    sample_rate: int,
    chunk_samples: int,
    out: Queue[WorkerMessage],
    stop: StopSignal,
    video: Video | None = None,
) -> None:
    """Read ``source`` until it ends, fails or ``stop`` is set, sending chunks and the outcome.
    With ``video``, each chunk also carries the face crops of its frames."""
    send = _Sender(out)
    chunker = Chunker(chunk_samples, sample_rate)
    frames: _Frames | None = None
    try:
        frames = _Frames(source, video) if video is not None else None
        blocks = (
            _device_blocks(source, sample_rate, send, stop, frames)
            if isinstance(source, DeviceSource)
            else _ffmpeg_blocks(source, sample_rate, send, stop, frames)
        )
        for block, t_last, overflow in blocks:
            chunks = chunker.push(block, t_last, overflow)
            for chunk in chunks if frames is None else frames.attach(chunks):
                send.chunk(chunk)
        if not stop.is_set():
            tail = chunker.flush()
            chunks = [tail] if tail is not None else []
            for chunk in chunks if frames is None else frames.attach(chunks, end=True):
                send.chunk(chunk)
            send.control(EndOfStream(chunker.next_seq))
    except AudioSourceError as exc:
        send.control(WorkerError("lost" if send.started else "open", str(exc)))
    except Exception as exc:  # a bug, but the user still deserves one clear line
        send.control(WorkerError("lost", f"{source.label}: capture failed ({exc!r})"))
    finally:
        if frames is not None:
            frames.close()


class _Frames:
    """A source's video: its face crops, put on the chunks' clock (monotonic time).

    A camera is read by a thread of its own (its frames timed as they come); a file's
    own video is decoded with its audio, each frame timed where its audio is released.
    """

    def __init__(self, source: Source, video: Video) -> None:
        from tui_captions.audio.video import FaceCrops, WithVideo

        self.crops = FaceCrops()
        self.chunks = WithVideo(video.fps, video.frames_per_chunk)
        self._lock = threading.Lock()
        self._camera: _CameraReader | None = None
        if source.camera is not None:
            self._camera = _CameraReader(source.camera, self)
        elif not (isinstance(source, FfmpegSource) and source.video):
            raise AudioSourceError(
                f"{source.label}: an audio-visual model needs video: a --camera beside the "
                "microphone, or a video file of the speaker"
            )
        self.description: str | None = self._camera.description if self._camera else None

    def add(self, frame: np.ndarray, at: float) -> None:
        """A frame shown at monotonic time ``at`` (any thread)."""
        face = self.crops.push(frame)
        with self._lock:
            self.chunks.slots.add(at, face)

    def attach(self, chunks: list[AudioChunk], end: bool = False) -> list[AudioChunk]:
        now = None
        if self._camera is not None:
            self._camera.check()
            now = time.monotonic()
        with self._lock:
            ready = self.chunks.push(chunks, now)
            return ready + self.chunks.flush() if end else ready

    def ended(self) -> None:
        """No more frames will come (the camera stopped)."""
        with self._lock:
            self.chunks.slots.ended = True

    def close(self) -> None:
        if self._camera is not None:
            self._camera.stop()


class _CameraReader:
    """Frames from an FFmpeg video input on a thread; a camera that fails is reported."""

    def __init__(self, camera: Camera, frames: _Frames) -> None:
        from tui_captions.audio.decode import open_video

        self._container, self.description = open_video(camera)
        self._camera = camera
        self._frames = frames
        self._stopping = threading.Event()
        self.problem: str | None = None
        self._ended_at = 0.0
        self._thread = threading.Thread(target=self._read, name="captions-camera", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        from tui_captions.audio.decode import FRAME_WIDTH

        try:
            for frame in self._container.decode(video=0):
                if self._stopping.is_set():
                    return
                height = max(2, round(FRAME_WIDTH * frame.height / frame.width / 2) * 2)
                picture = frame.reformat(width=FRAME_WIDTH, height=height, format="rgb24")
                self._frames.add(picture.to_ndarray(), time.monotonic())
            problem = f"{self._camera.label}: the camera stopped sending frames"
        except Exception as exc:  # FFmpeg's errors and a vanished device alike
            problem = f"{self._camera.label}: the camera failed ({exc})"
        self._ended_at = time.monotonic()
        self.problem = problem
        self._frames.ended()

    def check(self) -> None:
        """A camera gone for more than a second (an input ending with it is no loss)."""
        gone = self.problem is not None and time.monotonic() - self._ended_at > CAMERA_GONE_S
        if gone and not self._stopping.is_set():
            raise AudioSourceError(f"{self.problem} (unplugged or taken by another program?)")

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(Exception):
            self._container.close()


Block = tuple[np.ndarray, float, bool]  # 16 kHz mono samples, capture time of last, overflow


def _ffmpeg_blocks(
    source: FfmpegSource,
    sample_rate: int,
    send: _Sender,
    stop: StopSignal,
    frames: _Frames | None = None,
) -> Iterator[Block]:
    """Decoded blocks released at ``source.speed`` x real time (live sources set the pace)."""
    from tui_captions.audio.decode import DecodedAudio

    own_video = frames is not None and source.camera is None
    decoded = DecodedAudio(source.url, source.input_format, source.options, video=own_video)
    video = decoded.video_description if own_video else frames.description if frames else None
    send.control(Started(decoded.description, decoded.source_rate, decoded.channels, video))
    started = time.monotonic()
    released = 0
    if own_video and frames is not None:
        # A frame at media time t shows when the audio of that time is released.
        def timed(frame: np.ndarray, at: float) -> None:
            origin = decoded.audio_start or 0.0
            frames.add(frame, started + (at - origin) / source.speed)

        decoded.on_frame = timed
    try:
        for block in decoded.blocks(sample_rate):
            released += block.size
            due = started + released / sample_rate / source.speed
            late = time.monotonic() - due
            if late > _RESYNC_S:
                # A live source stalled (or the CPU did): restart the time
                # line from now instead of calling every later chunk late.
                started += late
                due += late
            elif stop.wait(max(0.0, -late)):
                return
            yield block, due, False
    finally:
        decoded.close()


def _device_blocks(
    source: DeviceSource,
    sample_rate: int,
    send: _Sender,
    stop: StopSignal,
    frames: _Frames | None = None,
) -> Iterator[Block]:
    """Blocks from a PortAudio input stream, resampled; a stalled device is reported lost."""
    if source.pulse_source is not None:
        # Read by the ALSA PulseAudio plugin when PortAudio's `pulse` device connects.
        os.environ["PULSE_SOURCE"] = source.pulse_source
    try:
        import sounddevice as sd
    except OSError as exc:
        raise AudioSourceError(
            f"{source.label}: PortAudio is not available ({exc}); install libportaudio2"
        ) from None

    from tui_captions.audio.decode import MonoResampler
    from tui_captions.audio.devices import pulse_source_exists

    def check_present() -> None:
        if source.pulse_source is not None and not pulse_source_exists(source.pulse_source):
            raise AudioSourceError(
                f"{source.label}: the source disappeared from the sound server "
                "(device unplugged or removed; pick another with `captions-tui devices`)"
            )

    check_present()
    rate = int(source.sample_rate)
    captured: queue.SimpleQueue[tuple[np.ndarray, float, bool]] = queue.SimpleQueue()

    def callback(indata: np.ndarray, frames: int, times: Any, status: Any) -> None:
        # Capture time of the block's last sample: the ADC time of its first
        # sample mapped onto the monotonic clock, when the host API gives one.
        now = time.monotonic()
        adc, current = times.inputBufferAdcTime, times.currentTime
        first = now - (current - adc) if adc > 0 and current >= adc else now - frames / rate
        captured.put(
            (indata.copy(), min(now, first + (frames - 1) / rate), bool(status.input_overflow))
        )

    stream: Any = None
    problem: Exception | None = None
    for channels in _channel_counts(source):
        try:
            stream = sd.InputStream(
                device=source.portaudio_device,
                channels=channels,
                samplerate=rate,
                dtype="float32",
                callback=callback,
            )
            stream.start()
            break
        except (sd.PortAudioError, ValueError) as exc:
            problem = exc
    else:
        raise AudioSourceError(f"{source.label}: cannot open the device ({problem})") from None
    send.control(
        Started(source.label, float(rate), channels, frames.description if frames else None)
    )
    resampler = MonoResampler(sample_rate)
    last_check = time.monotonic()
    last_block = last_check + FIRST_DATA_TIMEOUT_S - STALL_TIMEOUT_S
    try:
        while not stop.is_set():
            if time.monotonic() - last_check > _PRESENCE_CHECK_S:
                check_present()
                last_check = time.monotonic()
            try:
                data, t_last, overflow = captured.get(timeout=_POLL_S)
            except queue.Empty:
                if time.monotonic() - last_block > STALL_TIMEOUT_S or not stream.active:
                    raise AudioSourceError(
                        f"{source.label}: the device stopped delivering audio "
                        "(unplugged, or its sound server went away)"
                    ) from None
                continue
            last_block = time.monotonic()
            yield resampler.push(data, rate), t_last, overflow
    finally:
        # Closing a device whose server vanished can block: never wait for it.
        threading.Thread(target=stream.abort, daemon=True).start()


def _channel_counts(source: DeviceSource) -> list[int]:
    """The channel counts to open the device with, in order of preference.

    A sound server's source is opened with all its channels (it says how many it
    has, and mixes nothing then): the mono mix is their plain mean, as for files.
    A PortAudio device's count is often a virtual maximum (ALSA's ``default``
    says 32 or more), so it is opened with two, or with all of them if two are
    refused (interfaces that only run with all their inputs).
    """
    every = max(1, min(source.channels, PULSE_MAX_CHANNELS))
    if source.pulse_source is not None:
        return [every]
    return list(dict.fromkeys((min(every, 2), every)))


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "is still running"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


class CaptureWorker:
    """The main process's handle on one capture worker process.

    The process dies with the thread that calls :meth:`start` (see
    :func:`die_with_parent`), so start it from the thread that owns it for
    its whole life, as the live engine's inference thread does.

    ``get`` yields its messages; when the process ends without a last word
    (killed, crashed), ``get`` returns a ``WorkerError("died")`` within
    ``timeout`` seconds of noticing, so a caller polling every few hundred
    milliseconds reports a dead worker well within a second; a queue whose pipe
    broke is a ``WorkerError("lost")``, never an exception.
    """

    def __init__(
        self,
        source: Source,
        sample_rate: int,
        chunk_samples: int,
        queue_seconds: float = QUEUE_SECONDS,
        video: Video | None = None,
    ) -> None:
        self.source = source
        context = mp.get_context("spawn")
        chunks = max(1, round(queue_seconds * sample_rate / chunk_samples))
        self._queue: Queue[WorkerMessage] = context.Queue(chunks)
        self._stop_reader, self._stop = context.Pipe(duplex=False)
        args = (source, sample_rate, chunk_samples, self._queue, self._stop_reader, os.getpid())
        self._process = context.Process(
            target=worker_main,
            args=(*args, video),
            name="captions-capture",
            daemon=True,
        )
        self._finished = False

    def start(self) -> None:
        with _plain_main():
            self._process.start()
        self._stop_reader.close()  # the worker has its own copy now
        _log.debug("%s: capture worker %s started", self.source.label, self._process.pid)

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def queue_depth(self) -> int:
        try:
            return self._queue.qsize()
        except NotImplementedError:  # macOS has no sem_getvalue
            return 0

    def get(self, timeout: float) -> WorkerMessage | None:
        """The next message, None if none came in ``timeout``; a final error if it died."""
        if self._finished:
            return None
        try:
            message = self._read(timeout)
        except (EOFError, OSError) as exc:  # the pipe under the queue broke
            message = WorkerError(
                "lost", f"{self.source.label}: the capture worker's queue broke ({exc!r})"
            )
        if isinstance(message, (WorkerError, EndOfStream)):
            self._finished = True
        return message

    def _read(self, timeout: float) -> WorkerMessage | None:
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            if self._process.is_alive():
                return None
        # Anything it sent before exiting is already in the pipe.
        try:
            return self._queue.get(timeout=_POLL_S)
        except queue.Empty:
            how = _describe_exit(self._process.exitcode)
            died = f"{self.source.label}: the capture worker {how}"
            _log.debug("%s (pid %s)", died, self._process.pid)
            return WorkerError("died", died)

    def stop(self) -> None:
        """Ask the worker to stop; kill it if it has not within :data:`STOP_TIMEOUT_S`."""
        self._finished = True
        if not self._stop.closed:
            self._stop.close()
        if self._process.pid is None:
            return
        self._process.join(STOP_TIMEOUT_S)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(0.2)
        _log.debug(
            "%s: capture worker %s stopped: it %s",
            self.source.label,
            self._process.pid,
            _describe_exit(self._process.exitcode),
        )
        self._queue.cancel_join_thread()
        self._queue.close()


_main_lock = threading.Lock()


@contextlib.contextmanager
def _plain_main() -> Iterator[None]:
    """Hide the parent's ``__main__`` while spawning.

    ``spawn`` re-runs the parent's main script or module in the child; for
    ``captions-tui`` that imports the CLI and, through it, torch (seconds and
    hundreds of MB) in a process that only needs NumPy, PyAV and PortAudio.
    """
    with _main_lock:
        real_main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = real_main
