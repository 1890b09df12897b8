"""The live engine with a real worker and recognizer: overload, restarts, time line."""

from __future__ import annotations

import queue
import time
from pathlib import Path

import numpy as np

from tests.audio_files import write_audio
from tui_captions.asr.engine import StepResult
from tui_captions.asr.model_dir import load_model_dir
from tui_captions.asr.recognizer import Recognizer
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
    engine: LiveEngine, events: queue.Queue[LiveEvent], source: FfmpegSource
) -> list[LiveEvent]:
    engine.start(source)
    seen: list[LiveEvent] = []
    while not seen or not isinstance(seen[-1], SourceEnded):
        seen.append(events.get(timeout=60))
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
