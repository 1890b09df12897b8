"""The live engine with a real worker and recognizer: overload, restarts, time line,
and failures on its thread."""

from __future__ import annotations

import multiprocessing as mp
import queue
import time
from pathlib import Path

import numpy as np
import pytest

from tests.audio_files import write_audio
from tests.failing_stream import FAILURE, FailingModel, FailingStream
from tui_captions import paths
from tui_captions.asr.emformer.model_dir import load_model_dir
from tui_captions.asr.emformer.recognizer import Recognizer
from tui_captions.asr.engine import DecodeOptions, StepResult
from tui_captions.audio.protocol import FfmpegSource
from tui_captions.core.events import LiveEvent, RecognizerUpdate, SourceEnded
from tui_captions.core.stats import LiveStats
from tui_captions.pipeline.channel import LiveEngine


class SlowRecognizer(Recognizer):
    """The real recognizer on a machine far slower than real time."""

    def accept(  # type: ignore[override]
        self, samples: np.ndarray, chunk_index: int | None = None, video: np.ndarray | None = None
    ) -> StepResult:
        time.sleep(0.25)
        return super().accept(samples, chunk_index, video)


def run_session(
    engine: LiveEngine, events: queue.Queue[LiveEvent], source: FfmpegSource, timeout: float = 60
) -> list[LiveEvent]:
    engine.start(source)
    seen: list[LiveEvent] = []
    while not seen or not isinstance(seen[-1], SourceEnded):
        seen.append(events.get(timeout=timeout))
    assert engine.wait(5)
    return seen


def test_a_slow_recognizer_drops_counted_chunks_with_a_bounded_queue(
    tmp_path: Path, random_model_dir: Path, speech_wav: Path
) -> None:
    events: queue.Queue[LiveEvent] = queue.Queue()
    recognizer = SlowRecognizer(load_model_dir(random_model_dir))
    engine = LiveEngine(recognizer, events.put, queue_seconds=4 * recognizer.format.chunk_seconds)
    # 8x real time: a chunk every 20 ms against 250+ ms of work per chunk.
    seen = run_session(engine, events, FfmpegSource(str(speech_wav), speed=8.0))
    updates = [e for e in seen if isinstance(e, RecognizerUpdate)]
    ended = seen[-1]
    assert isinstance(ended, SourceEnded) and ended.reason == "end"
    total = -(-len(np.concatenate(list(_decode(speech_wav)))) // recognizer.config.chunk_samples)
    assert ended.dropped > 0
    assert len(updates) + ended.dropped == total
    assert max(u.queue_depth for u in updates) <= 4
    assert [u.dropped for u in updates] == sorted(u.dropped for u in updates)
    stats = LiveStats(recognizer.config.chunk_seconds)
    for update in updates:
        stats.add(update)
    summary = stats.summary()
    assert summary["dropped"] == updates[-1].dropped > 0
    assert summary["queue_depth_max"] == max(u.queue_depth for u in updates)


def _decode(path: Path) -> list[np.ndarray]:
    from tui_captions.audio.decode import decode_audio

    return list(decode_audio(str(path), 16000))


def test_a_new_source_continues_the_time_line_and_segment_ids(
    tmp_path: Path, random_model_dir: Path, speech_wav: Path
) -> None:
    events: queue.Queue[LiveEvent] = queue.Queue()
    recognizer = Recognizer(load_model_dir(random_model_dir))
    engine = LiveEngine(recognizer, events.put)
    silence = write_audio(tmp_path / "silence.wav", np.zeros(8000, dtype=np.float32), 16000)
    sessions = [
        run_session(engine, events, FfmpegSource(str(path), speed=4.0))
        for path in (speech_wav, silence, speech_wav)
    ]
    finals = [
        [
            s
            for e in seen
            for s in (e.finals if isinstance(e, (RecognizerUpdate, SourceEnded)) else ())
        ]
        for seen in sessions
    ]
    first, _, third = finals
    assert first and third
    assert third[0].id > first[-1].id
    seqs = [[e.seq for e in seen if isinstance(e, RecognizerUpdate)] for seen in sessions]
    chunk_s = recognizer.config.chunk_seconds
    # The third session starts after the first two sessions' audio, not at zero.
    assert third[0].start >= (len(seqs[0]) + len(seqs[1])) * chunk_s - 1e-9
    assert all(s[0] == 0 for s in seqs)


def capture_workers() -> list[mp.process.BaseProcess]:
    return [p for p in mp.active_children() if p.name == "captions-capture"]


def test_a_recognizer_that_fails_ends_the_source_saying_what_failed(
    speech_wav: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A bug in recognition must not leave the front ends waiting for a source that is gone:
    the session ends with one line, the worker is stopped, the traceback is logged."""
    events: queue.Queue[LiveEvent] = queue.Queue()
    engine = LiveEngine(FailingStream(good=2), events.put)
    seen = run_session(engine, events, FfmpegSource(str(speech_wav), speed=4.0), timeout=10)
    ended = seen[-1]
    assert isinstance(ended, SourceEnded) and ended.reason == "failed"
    assert ended.error == f"{speech_wav}: captioning failed (RuntimeError({FAILURE!r}))"
    assert len([e for e in seen if isinstance(e, RecognizerUpdate)]) == 2
    assert capture_workers() == []
    (logged,) = [r for r in caplog.records if r.exc_info is not None]
    assert logged.name == "tui_captions.pipeline.channel" and FAILURE in caplog.text


def test_a_capture_queue_that_breaks_ends_the_source_as_lost(speech_wav: Path) -> None:
    """The pipe under the worker's queue breaking is a lost source (tried again), not an
    exception that kills the inference thread."""
    events: queue.Queue[LiveEvent] = queue.Queue()

    def break_the_pipe(chunk: int) -> None:
        worker = engine._worker
        if chunk == 2 and worker is not None:
            worker._queue._reader.close()  # type: ignore[attr-defined]

    engine = LiveEngine(FailingStream(good=1000, on_chunk=break_the_pipe), events.put)
    seen = run_session(engine, events, FfmpegSource(str(speech_wav), speed=4.0), timeout=10)
    ended = seen[-1]
    assert isinstance(ended, SourceEnded) and ended.reason == "error"
    assert ended.error is not None and "the capture worker's queue broke" in ended.error
    assert capture_workers() == []


def test_live_prints_what_failed_and_exits_2_when_recognition_fails(
    speech_wav: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """``live`` in-process on a real file, its model failing: no hang, no second Ctrl+C."""
    from tui_captions.cli import main
    from tui_captions.commands import live
    from tui_captions.config import load_settings
    from tui_captions.core import heap
    from tui_captions.text.postprocess import RuleCaser

    settings = load_settings()[0]
    model = FailingModel(good=2)
    monkeypatch.setattr(
        live, "load_model", lambda args, given=None: (model, DecodeOptions(), settings)
    )
    monkeypatch.setattr(live, "load_post", lambda option, settings, writing: RuleCaser())
    monkeypatch.setattr(heap, "settle", lambda: None)  # pytest's heap is not the session's
    assert main(["live", "--input", str(speech_wav)]) == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert error == (
        f"captions-tui: error: {speech_wav}: captioning failed (RuntimeError({FAILURE!r}))"
        f" (log: {paths.log_file()})"  # where the traceback is
    )
    assert "Traceback" in caplog.text and capture_workers() == []
    assert f"RuntimeError: {FAILURE}" in paths.log_file().read_text()
