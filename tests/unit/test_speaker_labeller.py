"""The labeller's plumbing, with stand-ins for the VAD and the extractor: its queue, its
stop, and windows too short to embed."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from tests.speaker_audio import TINY_SPEAKERS
from tui_captions.errors import ModelError
from tui_captions.speakers.embedding import SpeakerEmbedder
from tui_captions.speakers.labeller import (
    MAX_QUEUED_CHUNKS,
    LabelSettings,
    SpeakerLabeller,
    open_labeller,
)
from tui_captions.speakers.vad import SAMPLE_RATE, WINDOW, SileroVad

CHUNK = SAMPLE_RATE // 10


class AllSpeech(SileroVad):
    """Every 32 ms window is speech."""

    def __init__(self) -> None:
        self.reset()

    def accept(self, samples: np.ndarray) -> np.ndarray:
        audio = np.concatenate([self._pending, samples])
        count = len(audio) // WINDOW
        self._pending = audio[count * WINDOW :]
        return np.ones(count, dtype=np.float32)


class GatedEmbedder(SpeakerEmbedder):
    """One voice; each embedding waits for ``gate`` (a slow machine), its input kept."""

    def __init__(self) -> None:
        self.dim = 4
        self.gate = threading.Event()
        self.heard: list[np.ndarray] = []

    def embed(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        self.gate.wait(10)
        self.heard.append(samples.copy())
        return np.array([1.0, 0.0, 0.0, 0.0], dtype=np.float32)


def test_a_labeller_that_falls_behind_drops_its_oldest_chunks() -> None:
    embedder = GatedEmbedder()
    labeller = SpeakerLabeller(embedder, vad=AllSpeech())
    labeller.start()
    chunk = np.full(CHUNK, 0.1, dtype=np.float32)
    extra = 100
    for index in range(MAX_QUEUED_CHUNKS + extra):
        labeller.accept(chunk, index * 0.1)
    # the thread took its first window's chunks (1.5 s) before it stuck
    assert extra - 20 <= labeller.dropped_chunks <= extra
    embedder.gate.set()
    labeller.finish(timeout=30)
    assert labeller.speaker_between(0, labeller.processed_to) == "Speaker 1"


def test_a_chunk_is_copied_when_queued() -> None:
    embedder = GatedEmbedder()
    labeller = SpeakerLabeller(embedder, vad=AllSpeech())
    labeller.start()
    buffer = np.full(CHUNK, 0.1, dtype=np.float32)
    for index in range(20):
        labeller.accept(buffer, index * 0.1)
        buffer[:] = 0.0  # a capture worker reusing its buffer
        buffer[:] = 0.1
    buffer[:] = 0.0
    embedder.gate.set()
    labeller.finish(timeout=30)
    assert embedder.heard
    assert all(np.all(window == np.float32(0.1)) for window in embedder.heard)


def test_stopping_past_the_timeout_drops_the_backlog_and_the_thread_ends() -> None:
    embedder = GatedEmbedder()
    labeller = SpeakerLabeller(embedder, vad=AllSpeech())
    labeller.start()
    for index in range(300):
        labeller.accept(np.full(CHUNK, 0.1, dtype=np.float32), index * 0.1)
    labeller.finish(timeout=0.05)
    embedder.gate.set()  # the window it was embedding is done: nothing more is
    assert labeller._thread is not None
    labeller._thread.join(5)
    assert not labeller._thread.is_alive()
    assert len(embedder.heard) <= 1


def test_a_window_too_short_to_embed_is_skipped_and_labelling_goes_on() -> None:
    class Measuring(GatedEmbedder):
        def embed(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
            assert len(samples) >= 0.05 * sample_rate, "the extractor would refuse it"
            return super().embed(samples, sample_rate)

    embedder = Measuring()
    embedder.gate.set()
    # 40 ms windows: shorter than the 50 ms sherpa-onnx needs, every other one at the close
    settings = LabelSettings(window_s=0.04, hop_s=0.04, min_embed_s=0.01)
    labeller = SpeakerLabeller(embedder, vad=AllSpeech(), settings=settings)
    for index in range(10):
        labeller.accept(np.full(CHUNK, 0.1, dtype=np.float32), index * 0.1)
    labeller.finish()
    assert not labeller.failed


class LoudnessVoices(SpeakerEmbedder):
    """Two voices told apart by loudness (a stand-in: the labeller's bookkeeping is tested)."""

    def __init__(self) -> None:
        self.dim = 4

    def embed(self, samples: np.ndarray, sample_rate: int) -> np.ndarray:
        loud = float(np.mean(samples)) > 0.15
        return np.array([0.0, 1.0, 0.0, 0.0] if loud else [1.0, 0.0, 0.0, 0.0], dtype=np.float32)


def test_speaker_between_weighs_every_span_it_overlaps_and_no_other() -> None:
    labeller = SpeakerLabeller(LoudnessVoices(), vad=AllSpeech())
    for index in range(300):  # 30 s: one voice, then the other from 12 s, then the first
        level = 0.2 if 120 <= index < 200 else 0.1
        labeller.accept(np.full(CHUNK, level, dtype=np.float32), index * 0.1)
    labeller.finish()
    turns = labeller.turns()
    assert [t.speaker for t in turns] == ["Speaker 1", "Speaker 2", "Speaker 1"]

    def by_scan(start: float, end: float) -> str | None:
        heard: dict[str, float] = {}
        for span in turns:
            overlap = min(end, span.end) - max(start, span.start)
            if overlap > 0 and span.speaker is not None:
                heard[span.speaker] = heard.get(span.speaker, 0.0) + overlap
        return max(heard, key=heard.__getitem__) if heard else None

    for start in np.arange(0.0, 30.0, 0.37):
        for length in (0.05, 0.8, 3.0, 9.0):
            expected = by_scan(start, start + length)
            assert labeller.speaker_between(start, start + length) == expected, (start, length)
    assert labeller.speaker_between(31.0, 32.0) is None


def test_a_recognizer_of_another_rate_gets_no_labeller_and_one_line_why() -> None:
    with pytest.raises(
        ModelError, match="speaker labels need a 16000 Hz model; this one reads 8000"
    ):
        open_labeller(TINY_SPEAKERS, 8000)
    assert open_labeller(TINY_SPEAKERS, SAMPLE_RATE).speaker_between(0.0, 1.0) is None
