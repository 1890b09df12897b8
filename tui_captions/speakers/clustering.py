"""Online clustering of speaker embeddings: cosine to centroids, as speech comes.

Each piece of speech (an embedding and how many seconds it covers) joins the
nearest speaker when its cosine similarity reaches ``threshold``, and moves that
speaker's centroid towards it. A piece that matches nobody waits: a new speaker is
made only once unmatched pieces that agree with each other add up to
``new_speaker_s`` seconds, so one odd window (a cough, two voices at once) does not
make a speaker. Pieces that wait (a short turn) go to the nearest speaker once
``settle_s`` seconds of known speakers' speech have followed them, or the audio ends,
so no line stays without a label. Making them a speaker of their own instead was
tried: on held-out conversations of turns of 1-4 s it made 21 false speakers in 12
conversations and raised the mean DER from 3.6 % to 4.9 %. When the cap is reached an
unmatched piece goes to the nearest speaker.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ClusterSettings:
    """The clusterer's knobs; the defaults are tuned on the tiny model's held-out voices."""

    threshold: float = 0.7
    max_speakers: int = 8
    new_speaker_s: float = 2.0
    # A centroid weighs at most this much speech, so it keeps following its speaker.
    memory_s: float = 30.0
    # Waiting pieces go to the nearest speaker after this much known speech has followed.
    settle_s: float = 10.0


@dataclass
class _Speaker:
    centroid: np.ndarray
    seconds: float


@dataclass
class _Pending:
    """Unmatched pieces that agree with each other: a speaker in the making."""

    keys: list[Hashable] = field(default_factory=list)
    total: np.ndarray | None = None
    seconds: float = 0.0
    waited_s: float = 0.0  # speech of known speakers heard since

    def add(self, key: Hashable, embedding: np.ndarray, seconds: float) -> None:
        self.keys.append(key)
        weighted = embedding * seconds
        self.total = weighted if self.total is None else self.total + weighted
        self.seconds += seconds

    def direction(self) -> np.ndarray:
        assert self.total is not None
        return _unit(self.total)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


class OnlineClusterer:
    """Speaker indices (0, 1, ...) for pieces of speech, each known by a caller's key."""

    def __init__(self, settings: ClusterSettings | None = None) -> None:
        self.settings = settings or ClusterSettings()
        self._speakers: list[_Speaker] = []
        self._pending = _Pending()
        self.cap_reached = False

    @property
    def speaker_count(self) -> int:
        return len(self._speakers)

    def add(
        self, key: Hashable, embedding: np.ndarray, seconds: float
    ) -> dict[Hashable, int | None]:
        """Place one piece; the labels this decides: the piece's own (None while its speaker
        is still in the making) and those of waiting pieces that now have a speaker."""
        embedding = _unit(np.asarray(embedding, dtype=np.float32))
        best, similarity = self._nearest(embedding)
        decided: dict[Hashable, int | None] = {}
        waiting = self._pending
        if best is not None and similarity >= self.settings.threshold:
            self._update(best, embedding, seconds)
            if waiting.keys:
                waiting.waited_s += seconds
                if waiting.waited_s >= self.settings.settle_s:
                    decided.update(self._to_nearest())
            decided[key] = best
            return decided
        if waiting.keys and float(waiting.direction() @ embedding) < self.settings.threshold:
            # the waiting pieces were not the start of a new voice: the nearest speaker's
            decided.update(self._to_nearest())
        pending = self._pending
        pending.add(key, embedding, seconds)
        decided[key] = None
        if len(self._speakers) >= self.settings.max_speakers:
            self.cap_reached = True
            decided.update(self._to_nearest())
        elif pending.seconds >= self.settings.new_speaker_s:
            self._speakers.append(_Speaker(pending.direction(), pending.seconds))
            index = len(self._speakers) - 1
            decided.update(dict.fromkeys(pending.keys, index))
            self._pending = _Pending()
        return decided

    def _nearest(self, embedding: np.ndarray) -> tuple[int | None, float]:
        if not self._speakers:
            return None, -1.0
        similarities = np.array([s.centroid @ embedding for s in self._speakers])
        best = int(np.argmax(similarities))
        return best, float(similarities[best])

    def _update(self, index: int, embedding: np.ndarray, seconds: float) -> None:
        speaker = self._speakers[index]
        weight = min(speaker.seconds, self.settings.memory_s)
        speaker.centroid = _unit(speaker.centroid * weight + embedding * seconds)
        speaker.seconds += seconds

    def settle(self) -> dict[Hashable, int | None]:
        """The audio ended: the waiting pieces go to the nearest speaker, or are the first
        speaker when nobody else was heard."""
        if self._speakers or not self._pending.keys:
            return self._to_nearest()
        pending, self._pending = self._pending, _Pending()
        self._speakers.append(_Speaker(pending.direction(), pending.seconds))
        return dict.fromkeys(pending.keys, 0)

    def _to_nearest(self) -> dict[Hashable, int | None]:
        """The waiting pieces go to the speaker nearest their mean (None: nobody yet)."""
        pending, self._pending = self._pending, _Pending()
        if not pending.keys:
            return {}
        best, _ = self._nearest(pending.direction())
        return dict.fromkeys(pending.keys, best)
