"""The spawned capture worker with real sources: FFmpeg files and a PulseAudio null sink."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import signal
import subprocess
import sys
import time
from multiprocessing.connection import Connection
from multiprocessing.queues import Queue
from pathlib import Path

import numpy as np
import pytest

from tests.audio_files import write_audio
from tests.pulse import NullSink, PulseServer
from tui_captions.audio.chunking import Regrouper
from tui_captions.audio.decode import decode_audio
from tui_captions.audio.devices import find_device, list_devices
from tui_captions.audio.protocol import (
    AudioChunk,
    EndOfStream,
    FfmpegSource,
    Source,
    Started,
    WorkerError,
    WorkerMessage,
)
from tui_captions.audio.worker import CaptureWorker, StopSignal, _plain_main, capture

RATE = 16000
SIZE = 2560  # the models' segment; the worker is told it, never assumes it


def collect(worker: CaptureWorker, until: float = 30.0) -> list[WorkerMessage]:
    """Every message up to and including the last one (end of stream or error)."""
    messages: list[WorkerMessage] = []
    deadline = time.monotonic() + until
    while time.monotonic() < deadline:
        message = worker.get(0.2)
        if message is None:
            continue
        messages.append(message)
        if isinstance(message, (EndOfStream, WorkerError)):
            return messages
    raise AssertionError(f"no end of stream within {until} s: {messages[-3:]}")


def run_worker(source: Source) -> list[WorkerMessage]:
    worker = CaptureWorker(source, RATE, SIZE)
    worker.start()
    try:
        return collect(worker)
    finally:
        worker.stop()


def tones(rate: int, seconds: float, *freqs: float | tuple[float, float]) -> np.ndarray:
    """One tone per channel; ``(f0, f1)`` pairs are linear sweeps (nothing periodic to misalign)."""
    t = np.arange(round(rate * seconds)) / rate
    columns = []
    for f in freqs:
        start, end = (f, f) if isinstance(f, float) else f
        phase = 2 * np.pi * (start * t + (end - start) * t * t / (2 * seconds))
        columns.append(0.3 * np.sin(phase))
    return np.stack(columns, axis=1).astype(np.float32)


def _report_modules(source: Source, out: Queue[object], stop: Connection) -> None:
    capture(source, RATE, SIZE, out, StopSignal(stop))  # type: ignore[arg-type]
    out.put(sorted(sys.modules))


def test_worker_process_imports_neither_torch_nor_textual(tmp_path: Path) -> None:
    wav = write_audio(tmp_path / "a.wav", tones(16000, 0.3, 440.0)[:, 0], 16000)
    context = mp.get_context("spawn")
    out: Queue[object] = context.Queue()
    stop, _keep_open = context.Pipe(duplex=False)
    process = context.Process(target=_report_modules, args=(FfmpegSource(str(wav)), out, stop))
    with _plain_main():
        process.start()
    messages = [out.get(timeout=30) for _ in range(5)]  # started, 2 chunks, end, modules
    process.join(10)
    assert isinstance(messages[0], Started) and isinstance(messages[3], EndOfStream)
    modules = messages[4]
    assert isinstance(modules, list) and "av" in modules and "numpy" in modules
    assert [m for m in modules if m.split(".")[0] in ("torch", "torchaudio", "textual")] == []


@pytest.mark.parametrize(
    ("name", "rate", "freqs"),
    [
        ("stereo.wav", 48000, ((200.0, 3000.0), (3500.0, 500.0))),
        ("stereo.flac", 44100, ((300.0, 1000.0), (2000.0, 6000.0))),
        ("mono.mp3", 44100, ((300.0, 3000.0),)),
    ],
)
def test_ffmpeg_inputs_become_exact_16k_mono_chunks(
    tmp_path: Path, name: str, rate: int, freqs: tuple[tuple[float, float], ...]
) -> None:
    seconds = 1.0
    signal_in = tones(rate, seconds, *freqs)
    path = write_audio(tmp_path / name, signal_in, rate, channels=len(freqs))
    messages = run_worker(FfmpegSource(str(path), speed=8.0))
    started, *chunks, end = messages
    assert isinstance(started, Started) and started.sample_rate == rate
    assert started.channels == len(freqs)
    assert all(isinstance(c, AudioChunk) for c in chunks)
    assert isinstance(end, EndOfStream) and end.next_seq == len(chunks)
    got = np.concatenate([c.samples for c in chunks if isinstance(c, AudioChunk)])
    assert all(c.samples.shape == (SIZE,) and c.samples.dtype == np.float32 for c in chunks)  # type: ignore[union-attr]
    # The channel average of the same tones, computed at 16 kHz: what a proper
    # resampler gives (decimation would alias, dropping a channel would halve it).
    expected = tones(RATE, seconds, *freqs).mean(axis=1)
    lag = _best_lag(got, expected, max_lag=1200)
    if not name.endswith(".mp3"):
        assert abs(lag) <= 1
    aligned = got[max(lag, 0) : max(lag, 0) + expected.size - 800][400:]
    reference = expected[max(-lag, 0) : max(-lag, 0) + expected.size - 800][400:]
    error = np.sqrt(np.mean((aligned - reference) ** 2)) / np.sqrt(np.mean(reference**2))
    assert error < (0.05 if name.endswith(".mp3") else 0.01)
    # Same samples as the non-live decoder, cut into exact chunks.
    decoded = np.concatenate(list(decode_audio(str(path), RATE)))
    assert np.allclose(got[: decoded.size], decoded, atol=1e-6)
    assert got.size == -(-decoded.size // SIZE) * SIZE


def _best_lag(got: np.ndarray, expected: np.ndarray, max_lag: int) -> int:
    n = expected.size - 2 * max_lag
    window = expected[max_lag : max_lag + n]
    scores = [
        float(np.dot(got[max_lag + k : max_lag + k + n], window))
        for k in range(-max_lag, max_lag + 1)
    ]
    return int(np.argmax(scores)) - max_lag


def test_files_are_paced_at_real_time_and_stamped_with_capture_times(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "tone.wav", tones(16000, 1.6, 440.0)[:, 0], 16000)
    worker = CaptureWorker(FfmpegSource(str(path)), RATE, SIZE)
    worker.start()
    try:
        messages = collect(worker)
    finally:
        worker.stop()
    chunks = [m for m in messages if isinstance(m, AudioChunk)]
    assert [c.seq for c in chunks] == list(range(10))
    span = chunks[-1].t_last - chunks[0].t_last
    assert span == pytest.approx(9 * SIZE / RATE, abs=0.15)
    assert all(b.t_first > a.t_last for a, b in itertools.pairwise(chunks))
    assert all(c.rms_dbfs == pytest.approx(-13.47, abs=0.1) for c in chunks[:-1])


@pytest.mark.parametrize(
    ("make", "fmt", "message"),
    [
        (lambda d: d / "missing.wav", None, "no such file"),
        (lambda d: _text_file(d), None, "not an audio file"),
        (lambda d: d / "x", "no-such-format", "not known to FFmpeg"),
    ],
)
def test_bad_inputs_are_one_clear_open_error(
    tmp_path: Path, make: object, fmt: str | None, message: str
) -> None:
    path = make(tmp_path)  # type: ignore[operator]
    messages = run_worker(FfmpegSource(str(path), input_format=fmt))
    assert len(messages) == 1
    error = messages[0]
    assert isinstance(error, WorkerError) and error.kind == "open"
    assert message in error.message and "\n" not in error.message


def _text_file(directory: Path) -> Path:
    path = directory / "notes.wav"
    path.write_text("this is not audio\n" * 100)
    return path


def test_stop_within_a_second_and_a_killed_worker_is_noticed(tmp_path: Path) -> None:
    path = write_audio(tmp_path / "long.wav", np.zeros(16000 * 30, dtype=np.float32), 16000)
    worker = CaptureWorker(FfmpegSource(str(path)), RATE, SIZE)
    worker.start()
    assert isinstance(collect_first_chunk(worker), AudioChunk)
    assert worker.pid is not None
    os.kill(worker.pid, signal.SIGKILL)
    killed = time.monotonic()
    message = None
    while not isinstance(message, WorkerError):
        message = worker.get(0.25)
        assert time.monotonic() - killed < 1.0, "a dead worker went unnoticed for 1 s"
    assert message.kind == "died" and "SIGKILL" in message.message
    worker.stop()

    worker = CaptureWorker(FfmpegSource(str(path)), RATE, SIZE)
    worker.start()
    collect_first_chunk(worker)
    asked = time.monotonic()
    worker.stop()
    assert time.monotonic() - asked < 1.0


def collect_first_chunk(worker: CaptureWorker) -> WorkerMessage | None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        message = worker.get(0.2)
        if isinstance(message, (AudioChunk, WorkerError)):
            return message
    return None


def speech(directory: Path, text: str) -> Path:
    path = directory / "speech.wav"
    subprocess.run(["espeak-ng", "-w", str(path), text], check=True)
    return path


def envelope(samples: np.ndarray) -> np.ndarray:
    pieces = Regrouper(SIZE // 4).push(samples)
    return np.array([np.sqrt(np.mean(p.astype(np.float64) ** 2)) for p in pieces])


@pytest.mark.parametrize("channels", [2, 8])
def test_monitor_capture_matches_what_was_played(
    tmp_path: Path, pulse_server: PulseServer, channels: int
) -> None:
    """Also from a source of 8 channels (a multi-channel interface): opened with all of
    them, mixed to their plain mean."""
    null_sink = pulse_server.add_sink("capture", channels)
    played = speech(tmp_path, "one two three, the quick brown fox jumps over the lazy dog")
    device = find_device(null_sink.monitor, list_devices())
    assert device.monitor and device.pulse_source == null_sink.monitor
    assert device.channels == channels
    worker = CaptureWorker(device.source(), RATE, SIZE)
    worker.start()
    chunks: list[AudioChunk] = []
    received: list[float] = []
    try:
        started = None
        while not isinstance(started, Started):
            started = worker.get(5.0)
            assert not isinstance(started, WorkerError), started
        assert started.channels == channels
        player = null_sink.play(played)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (player.poll() is None or len(received) < 8):
            message = worker.get(0.5)
            assert not isinstance(message, WorkerError), message
            if isinstance(message, AudioChunk):
                chunks.append(message)
                received.append(time.monotonic())
            if player.poll() is not None and not received:
                break
        for _ in range(6):  # the tail of the speech, still in flight
            message = worker.get(0.5)
            if isinstance(message, AudioChunk):
                chunks.append(message)
                received.append(time.monotonic())
    finally:
        worker.stop()
    assert [c.seq for c in chunks] == list(range(chunks[0].seq, chunks[0].seq + len(chunks)))
    # Timestamps follow real time: at least 160 ms of clock per chunk (more
    # where the source lost input: a loaded machine's null sink runs slow),
    # never after the chunk arrived and, once the start-up burst is over,
    # not long before.
    t_last = np.array([c.t_last for c in chunks])
    assert np.all(np.diff(t_last) > 0)
    slope = np.polyfit(np.arange(len(chunks)), t_last, 1)[0]
    assert 0.95 * SIZE / RATE < slope < 1.5 * SIZE / RATE
    assert all(c.t_last <= r for c, r in zip(chunks, received, strict=True))
    assert all(r - c.t_last < 1.0 for c, r in zip(chunks[-5:], received[-5:], strict=True))
    # What came out is what went in: energy envelopes line up.
    got = envelope(np.concatenate([c.samples for c in chunks]))
    want = envelope(np.concatenate(list(decode_audio(str(played), RATE))))
    scores = [
        float(np.corrcoef(got[k : k + want.size], want)[0, 1])
        for k in range(got.size - want.size + 1)
    ]
    assert max(scores) > 0.9
    assert max(c.peak_dbfs for c in chunks) > -20 and min(c.rms_dbfs for c in chunks) < -60


def test_unloading_the_sink_mid_stream_is_reported(null_sink: NullSink) -> None:
    worker = CaptureWorker(find_device(null_sink.monitor, list_devices()).source(), RATE, SIZE)
    worker.start()
    try:
        assert isinstance(collect_first_chunk(worker), AudioChunk)
        null_sink.unload()
        unloaded = time.monotonic()
        message = None
        while not isinstance(message, WorkerError):
            message = worker.get(0.25)
            assert time.monotonic() - unloaded < 3.0, "the lost device went unnoticed"
    finally:
        worker.stop()
    assert message.kind == "lost"
    assert null_sink.monitor in message.message and "disappeared" in message.message


PARENT = """
import sys, time
from tui_captions.audio.protocol import DeviceSource, FfmpegSource
from tui_captions.audio.worker import CaptureWorker
from tui_captions.audio.devices import find_device, list_devices

if sys.argv[1] == "ffmpeg":
    source = FfmpegSource(sys.argv[2], speed=50.0)  # fills the queue at once
else:
    source = find_device(sys.argv[2], list_devices()).source()
worker = CaptureWorker(source, 16000, 2560, queue_seconds=0.32)  # 2 chunks, never read
worker.start()
print(worker.pid, flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize("kind", ["ffmpeg", "monitor"])
def test_a_worker_whose_parent_is_killed_exits_with_its_queue_full(
    tmp_path: Path, null_sink: NullSink, kind: str
) -> None:
    """However the parent dies and whatever the worker is doing (here: blocked on a full
    queue nobody reads), the worker is gone within 2 s and its stream with it."""
    wav = write_audio(tmp_path / "long.wav", tones(16000, 30.0, 440.0)[:, 0], 16000)
    target = str(wav) if kind == "ffmpeg" else null_sink.monitor
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, kind, target], stdout=subprocess.PIPE, text=True
    )
    assert parent.stdout is not None
    worker_pid = int(parent.stdout.readline())
    time.sleep(1.5)  # the queue is full by now; the worker keeps capturing and dropping
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline and Path(f"/proc/{worker_pid}").exists():
        state = Path(f"/proc/{worker_pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            break
        time.sleep(0.05)
    else:
        assert not Path(f"/proc/{worker_pid}").exists(), "the worker outlived its parent"
