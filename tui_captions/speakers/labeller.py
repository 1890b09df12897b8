"""Who spoke when, for one source, live: VAD, embeddings and online clustering off the
recogniser's thread.

The capture side hands each chunk to :meth:`SpeakerLabeller.accept` (a queue put,
never a wait); a worker thread finds speech regions, embeds windows of
``window_s`` seconds every ``hop_s`` seconds inside them, clusters each window and
labels the middle of it (a whole short region at once). A label can change later
(a waiting piece's speaker is made), so readers ask :meth:`speaker_between` when
they need a line's speaker and may listen for :class:`SpeakerSpan` changes. Should
labelling fail, one warning is logged and the labeller answers None from then on:
captions never depend on it.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np

from tui_captions.core.logfile import FILE_ONLY
from tui_captions.errors import ModelError
from tui_captions.speakers.clustering import ClusterSettings, OnlineClusterer
from tui_captions.speakers.embedding import MIN_SAMPLES_S, SpeakerEmbedder
from tui_captions.speakers.vad import SAMPLE_RATE, Region, SileroVad, SpeechDetector

log = logging.getLogger(__name__)


def _span_end(span: SpeakerSpan) -> float:
    return span.end


def speaker_name(index: int) -> str:
    """The label users see: "Speaker 1" for the first speaker found."""
    return f"Speaker {index + 1}"


@dataclass(frozen=True)
class SpeakerSpan:
    """Speech from ``start`` to ``end`` session seconds and its speaker (None: not known yet)."""

    start: float
    end: float
    speaker: str | None


@dataclass(frozen=True)
class LabelSettings:
    """Windowing of speech regions; a region shorter than ``min_embed_s`` borrows the last label."""

    window_s: float = 1.5
    hop_s: float = 0.75
    min_embed_s: float = 0.4
    clustering: ClusterSettings = field(default_factory=ClusterSettings)


# Chunks further apart than this (seconds) are a gap: the VAD starts again after it.
GAP_S = 0.05
# Chunks waiting for the labeller's thread at most (a minute of 100 ms chunks): on a machine
# too slow to keep up the oldest is dropped, which the labeller hears as a gap, rather than
# memory growing for as long as the session runs.
MAX_QUEUED_CHUNKS = 600


class SpeakerLabeller:
    """Speaker labels for one source's audio, computed on a thread of its own."""

    def __init__(
        self,
        embedder: SpeakerEmbedder,
        vad: SileroVad | None = None,
        settings: LabelSettings | None = None,
        listener: Callable[[SpeakerSpan], None] | None = None,
    ) -> None:
        self.settings = settings or LabelSettings()
        self._embedder = embedder
        self._vad = vad or SileroVad()
        self._detector = SpeechDetector()
        self._clusterer = OnlineClusterer(self.settings.clustering)
        self._listener = listener
        self._lock = threading.Lock()
        self._spans: list[SpeakerSpan] = []
        # The audio of the current speech region (and what precedes it, trimmed as it goes).
        self._audio = np.zeros(0, dtype=np.float32)
        self._audio_start = 0.0
        self._expected_start: float | None = None  # where the next chunk should begin
        self._region: Region | None = None
        self._next_window = 0.0  # where the next window starts in the open region
        self._labelled_to = 0.0  # the end of the last span of the open region
        self._last_speaker: int | None = None
        self._undecided_from = math.inf  # the earliest span the clusterer has not decided
        # chunks to label; None: the source ended
        self._queue: queue.Queue[tuple[np.ndarray, float] | None] = queue.Queue(MAX_QUEUED_CHUNKS)
        self._thread: threading.Thread | None = None
        self._abandoned = threading.Event()  # finish timed out: the backlog is not labelled
        self.dropped_chunks = 0
        self.failed = False
        self.warned_cap = False
        self.seconds_embedded = 0.0
        self.embedding_time = 0.0

    # The capture side
    def start(self) -> None:
        """Run the work on a daemon thread; :meth:`accept` only queues. Without it (a file,
        read as fast as it decodes) :meth:`accept` does the work on the caller's thread."""
        self._thread = threading.Thread(target=self._run, name="speaker-labels", daemon=True)
        self._thread.start()

    def accept(self, samples: np.ndarray, start: float) -> None:
        """One chunk of the source (16 kHz float32) whose first sample is at ``start`` s."""
        if self._thread is None:
            self._guarded(partial(self._process, samples, start))
        elif not self.failed:
            # a copy: the caller may reuse its buffer while the chunk waits
            self._put((np.array(samples, dtype=np.float32, copy=True), start))

    def finish(self, timeout: float | None = None) -> None:
        """The source ended: label what is left and wait for the thread (if any) up to
        ``timeout`` seconds; past it the rest is not labelled and the thread ends soon."""
        if self._thread is None:
            self._guarded(self._finish_source)
            return
        self._put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._abandoned.set()

    def _put(self, item: tuple[np.ndarray, float] | None) -> None:
        """Queue ``item`` without waiting: when the queue is full its oldest chunk goes."""
        while True:
            try:
                self._queue.put_nowait(item)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    continue  # the thread took one meanwhile
                self.dropped_chunks += 1
                log.debug("speaker labels fell behind: a chunk dropped (%d)", self.dropped_chunks)

    # The readers
    @property
    def processed_to(self) -> float:
        """The session time up to which audio has been labelled (worked on, at least)."""
        return self._expected_start or 0.0

    @property
    def undecided_from(self) -> float:
        """The start of the earliest speech whose speaker is still to be decided (inf: none):
        a line there may still get its label."""
        return self._undecided_from

    def speaker_between(self, start: float, end: float) -> str | None:
        """The speaker heard most between ``start`` and ``end`` (None: nobody known).

        Spans are made in time order, each ending where the next starts or before, so the
        first that can overlap is found by bisection: asked for every word of every line,
        a scan of all of them grew with the session (2.3 ms a call after an hour)."""
        heard: dict[str, float] = {}
        with self._lock:
            first = bisect.bisect_right(self._spans, start, key=_span_end)
            for span in itertools.islice(self._spans, first, None):
                if span.start >= end:
                    break
                overlap = min(end, span.end) - max(start, span.start)
                if overlap > 0 and span.speaker is not None:
                    heard[span.speaker] = heard.get(span.speaker, 0.0) + overlap
        return max(heard, key=heard.__getitem__) if heard else None

    def turns(self) -> list[SpeakerSpan]:
        """The labelled spans so far, neighbours of one speaker merged."""
        merged: list[SpeakerSpan] = []
        with self._lock:
            spans = [s for s in self._spans if s.speaker is not None]
        for span in spans:
            last = merged[-1] if merged else None
            if last and last.speaker == span.speaker and span.start - last.end < 0.5:
                merged[-1] = SpeakerSpan(last.start, max(last.end, span.end), last.speaker)
            else:
                merged.append(span)
        return merged

    # The work
    def _run(self) -> None:
        while not self._abandoned.is_set():
            item = self._queue.get()
            if self._abandoned.is_set():
                return
            if item is None:
                self._guarded(self._finish_source)
                return
            if not self.failed:
                samples, start = item
                self._guarded(partial(self._process, samples, start))

    def _guarded(self, work: Callable[[], None]) -> None:
        if self.failed:
            return
        try:
            work()
        except Exception:
            self.failed = True
            # The session says it in one line, naming this file.
            log.warning("speaker labelling failed", exc_info=True, extra=FILE_ONLY)

    def _process(self, samples: np.ndarray, start: float) -> None:
        if self._expected_start is None or abs(start - self._expected_start) > GAP_S:
            # the first chunk, or a gap in the audio: what was open ends where audio stopped
            self._finish_region()
            self._vad.reset()
            self._detector.seek(start)
            self._audio, self._audio_start = np.zeros(0, dtype=np.float32), start
        self._expected_start = start + len(samples) / SAMPLE_RATE
        self._audio = np.concatenate([self._audio, np.asarray(samples, dtype=np.float32)])
        for region in self._detector.accept(self._vad.accept(samples)):
            self._advance(region)
        if self._region is None:
            self._trim(self._detector.time - 0.5)
        else:
            self._trim(max(self._region.start, self._next_window - self.settings.window_s))

    def _advance(self, region: Region) -> None:
        """Label the windows ``region`` now holds; all of it when it is closed."""
        settings = self.settings
        if self._region is None or region.start != self._region.start:
            self._next_window = region.start
            self._labelled_to = region.start
        self._region = region
        while self._next_window + settings.window_s <= region.end:
            window_end = self._next_window + settings.window_s
            middle_end = window_end - (settings.window_s - settings.hop_s) / 2
            self._label(self._next_window, window_end, self._labelled_to, middle_end)
            self._labelled_to = middle_end
            self._next_window += settings.hop_s
        if region.closed:
            self._close(region)

    def _close(self, region: Region) -> None:
        settings = self.settings
        if region.end - self._labelled_to > 1e-3:
            window_start = max(region.start, region.end - settings.window_s)
            if region.end - window_start >= settings.min_embed_s:
                self._label(window_start, region.end, self._labelled_to, region.end)
            else:
                self._record(self._labelled_to, region.end, self._last_speaker)
        self._region = None
        self._trim(region.end)

    def _finish_region(self) -> None:
        region = self._detector.finish()
        if region is not None:
            self._advance(region)
        elif self._region is not None:
            self._close(Region(self._region.start, self._region.end, closed=True))

    def _finish_source(self) -> None:
        """The audio ended: close what is open and decide the turns still waiting."""
        self._finish_region()
        self._apply(self._clusterer.settle())

    def _label(
        self, window_start: float, window_end: float, span_start: float, span_end: float
    ) -> None:
        """Embed the window, cluster it, and give its label to the span it stands for."""
        first = round((window_start - self._audio_start) * SAMPLE_RATE)
        last = round((window_end - self._audio_start) * SAMPLE_RATE)
        window = self._audio[max(0, first) : last]
        if len(window) < MIN_SAMPLES_S * SAMPLE_RATE:
            # too little audio for an embedding (the window runs past what is held): the
            # span stays unlabelled, and labelling goes on
            log.debug("a %.3f s window is too short to embed: skipped", len(window) / SAMPLE_RATE)
            return
        began = time.perf_counter()
        embedding = self._embedder.embed(window, SAMPLE_RATE)
        key = len(self._spans)
        with self._lock:
            self._spans.append(SpeakerSpan(span_start, span_end, None))
        decided = self._clusterer.add(key, embedding, window_end - window_start)
        self.embedding_time += time.perf_counter() - began
        self.seconds_embedded += window_end - window_start
        if self._clusterer.cap_reached and not self.warned_cap:
            self.warned_cap = True
            log.warning(
                "more speakers than the cap of %d: new voices get the nearest speaker's label",
                self._clusterer.settings.max_speakers,
            )
        self._apply(decided)

    def _apply(self, decided: dict[Hashable, int | None]) -> None:
        for index, speaker in decided.items():
            assert isinstance(index, int)
            self._set(index, speaker)
        waiting = [key for key in self._clusterer.waiting_keys if isinstance(key, int)]
        with self._lock:
            starts = [self._spans[key].start for key in waiting]
        self._undecided_from = min(starts, default=math.inf)

    def _record(self, start: float, end: float, speaker: int | None) -> None:
        with self._lock:
            self._spans.append(SpeakerSpan(start, end, None))
        self._set(len(self._spans) - 1, speaker)

    def _set(self, index: int, speaker: int | None) -> None:
        if speaker is not None:
            self._last_speaker = speaker
        name = None if speaker is None else speaker_name(speaker)
        with self._lock:
            span = self._spans[index]
            if span.speaker == name:
                return
            self._spans[index] = changed = SpeakerSpan(span.start, span.end, name)
        if self._listener is not None and name is not None:
            self._listener(changed)

    def _trim(self, before: float) -> None:
        """Drop the audio no window will read again."""
        drop = round((before - self._audio_start) * SAMPLE_RATE)
        if drop > 0:
            self._audio = self._audio[drop:]
            self._audio_start += drop / SAMPLE_RATE


def check_rate(sample_rate: int) -> None:
    """Labels hear the recognizer's audio: 16 kHz, the VAD's and the embedding models' rate."""
    if sample_rate != SAMPLE_RATE:
        raise ModelError(
            f"speaker labels need a {SAMPLE_RATE} Hz model; this one reads {sample_rate} Hz"
        )


def open_labeller(model: Path, sample_rate: int) -> SpeakerLabeller:
    """A labeller for a recognizer reading ``sample_rate`` audio, its model checked and loaded
    (not started), or one ModelError saying why not."""
    check_rate(sample_rate)
    return SpeakerLabeller(SpeakerEmbedder(model))
