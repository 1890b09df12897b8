"""Synthetic conversations with known turns: held-out voices saying held-out sentences.

2-4 speakers take turns of 1-10 s (one or more sentences each), with short pauses
between turns and now and then a little overlap (the next speaker starts before
the last one has finished). The reference turns are exact, so the diarization
error rate of a labeller on them is a known answer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from tools.tiny_speakers.voices import SAMPLE_RATE, Speaker, held_out_speakers, say, sentences

PAUSE_S = (0.15, 0.6)
OVERLAP_S = (0.1, 0.4)
OVERLAP_CHANCE = 0.15
TEXT_SEED = 1000  # far from the training (1) and held-out evaluation (7) sentence seeds


@dataclass(frozen=True)
class Turn:
    """``speaker`` speaks from ``start`` to ``end`` seconds."""

    start: float
    end: float
    speaker: str


@dataclass(frozen=True)
class Conversation:
    audio: np.ndarray  # float32, 16 kHz
    turns: list[Turn]

    @property
    def seconds(self) -> float:
        return len(self.audio) / SAMPLE_RATE


def distinct_speakers(count: int, seed: int) -> list[Speaker]:
    """``count`` held-out speakers of different variants and different pitches."""
    rng = random.Random(seed)
    pool = held_out_speakers()
    rng.shuffle(pool)
    chosen: list[Speaker] = []
    for speaker in pool:
        if all(speaker.voice != c.voice and speaker.pitch != c.pitch for c in chosen):
            chosen.append(speaker)
        if len(chosen) == count:
            return chosen
    raise ValueError(f"no {count} distinct held-out speakers")


def _turn_audio(speaker: Speaker, seconds: float, rng: random.Random) -> np.ndarray:
    """Short sentences in ``speaker``'s voice until about ``seconds`` of speech."""
    pieces: list[np.ndarray] = []
    total = 0
    while total < seconds * SAMPLE_RATE * 0.9:
        words = max(1, min(6, round((seconds * SAMPLE_RATE - total) / SAMPLE_RATE * 2.5)))
        text = " ".join(sentences(1, rng.randrange(1 << 30) + TEXT_SEED)[0].split()[:words])
        clip = say(speaker, text, rng.randint(-8, 8))
        gap = np.zeros(int(rng.uniform(0.05, 0.15) * SAMPLE_RATE), dtype=np.float32)
        pieces += [clip, gap]
        total += len(clip) + len(gap)
    return np.concatenate(pieces[:-1])


def conversation(
    speakers: list[Speaker],
    seed: int,
    seconds: float = 60.0,
    turn_s: tuple[float, float] = (1.0, 10.0),
    pause_s: tuple[float, float] = PAUSE_S,
    overlap_chance: float = OVERLAP_CHANCE,
) -> Conversation:
    """A conversation among ``speakers`` lasting about ``seconds``; the same seed, the same one."""
    rng = random.Random(seed)
    audio = np.zeros(int((seconds + 15) * SAMPLE_RATE), dtype=np.float32)
    turns: list[Turn] = []
    cursor = 0.5
    previous: int | None = None
    while cursor < seconds:
        who = rng.choice([i for i in range(len(speakers)) if i != previous])
        clip = _turn_audio(speakers[who], rng.uniform(*turn_s), rng)
        if turns and rng.random() < overlap_chance:
            start = cursor - rng.uniform(*OVERLAP_S)
        else:
            start = cursor + rng.uniform(*pause_s)
        first = int(start * SAMPLE_RATE)
        if first + len(clip) > len(audio):
            break
        audio[first : first + len(clip)] += clip
        end = start + len(clip) / SAMPLE_RATE
        turns.append(Turn(start, end, f"voice {who + 1}"))
        cursor, previous = end, who
    last = int((turns[-1].end + 0.5) * SAMPLE_RATE)
    return Conversation(np.clip(audio[:last], -1.0, 1.0), turns)
