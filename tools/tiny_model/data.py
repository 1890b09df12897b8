"""Synthetic speech with known text: seeded word sequences spoken by espeak-ng.

Sentences are uniformly random word orders from ``vocabulary.txt``, so a model
cannot memorise phrases and must recognise words. Each sentence gets a random
English accent, voice variant, speed and pitch. Audio is cached on disk
(int16, one memory-mapped array per set) under ``.work/tiny_model/``.
"""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from multiprocessing.pool import ThreadPool
from pathlib import Path

import numpy as np

from tools.random_model import FRONT_END
from tui_captions.audio.decode import decode_audio
from tui_captions.pipeline.recording import Recorder

SAMPLE_RATE: int = FRONT_END["sample_rate"]
VOCABULARY_FILE = Path(__file__).with_name("vocabulary.txt")
WORK_DIR = Path(__file__).resolve().parents[2] / ".work" / "tiny_model"

ACCENTS = (
    "en-gb",
    "en-us",
    "en-gb-scotland",
    "en-gb-x-gbclan",
    "en-gb-x-rp",
    "en-gb-x-gbcwmd",
    "en-029",
    "en-us-nyc",
)
VARIANTS = ("", "m1", "m2", "m3", "m4", "m5", "m6", "m7", "f1", "f2", "f3", "f4", "klatt")
SPEED_RANGE = (130, 190)
PITCH_RANGE = (30, 70)
WORDS_PER_SENTENCE = (3, 10)
# Two espeak-ng processes at a time: one per core.
PROCESSES = 2


@dataclass(frozen=True)
class Utterance:
    """One sentence and how espeak-ng speaks it."""

    text: str
    voice: str
    speed: int
    pitch: int


def load_vocabulary() -> list[str]:
    return VOCABULARY_FILE.read_text(encoding="utf-8").split()


def make_utterances(
    count: int,
    seed: int,
    voices: Sequence[str] | None = None,
    speeds: tuple[int, int] = SPEED_RANGE,
    pitches: tuple[int, int] = PITCH_RANGE,
) -> list[Utterance]:
    """``count`` random sentences; the same seed always gives the same list."""
    rng = random.Random(seed)
    words = load_vocabulary()
    all_voices = voices or [f"{a}+{v}" if v else a for a in ACCENTS for v in VARIANTS]
    utterances = []
    for _ in range(count):
        length = rng.randint(*WORDS_PER_SENTENCE)
        text = " ".join(rng.choice(words) for _ in range(length))
        utterances.append(
            Utterance(text, rng.choice(all_voices), rng.randint(*speeds), rng.randint(*pitches))
        )
    return utterances


def synthesize(utterance: Utterance) -> np.ndarray:
    """int16 mono samples at 16 kHz (espeak-ng speaks at 22.05 kHz; FFmpeg resamples,
    as the app does for any file).

    Deterministic: the same utterance always gives the same samples.
    """
    with tempfile.TemporaryDirectory() as work:
        wav = Path(work) / "speech.wav"
        subprocess.run(
            [
                "espeak-ng",
                *("-v", utterance.voice, "-s", str(utterance.speed), "-p", str(utterance.pitch)),
                *("-w", str(wav), utterance.text),
            ],
            capture_output=True,
            check=True,
        )
        samples = np.concatenate(list(decode_audio(str(wav), SAMPLE_RATE)))
    return np.clip((samples * 32768.0).round(), -32768, 32767).astype(np.int16)


def synthesize_many(utterances: Sequence[Utterance]) -> list[np.ndarray]:
    """Synthesize in order; the work happens in child processes, so threads suffice."""
    with ThreadPool(PROCESSES) as pool:
        return pool.map(synthesize, utterances, chunksize=16)


def to_float(clip: np.ndarray) -> np.ndarray:
    """int16 samples -> float32 in [-1, 1], the recognizer's input."""
    return clip.astype(np.float32) / 32768.0


@dataclass(frozen=True)
class SpeechSet:
    """A cached set: concatenated int16 audio, per-utterance offsets, and the utterances."""

    audio: np.ndarray
    offsets: np.ndarray
    utterances: list[Utterance]

    def __len__(self) -> int:
        return len(self.utterances)

    def samples(self, index: int) -> np.ndarray:
        """float32 waveform in [-1, 1]."""
        return to_float(self.audio[self.offsets[index] : self.offsets[index + 1]])

    def seconds(self, index: int) -> float:
        return float(self.offsets[index + 1] - self.offsets[index]) / SAMPLE_RATE

    @property
    def hours(self) -> float:
        return float(self.offsets[-1]) / SAMPLE_RATE / 3600


def build_set(utterances: list[Utterance], work_dir: Path = WORK_DIR) -> SpeechSet:
    """Synthesize ``utterances`` once; later calls read the cache named by their hash."""
    blob = json.dumps([asdict(u) for u in utterances]).encode()
    directory = work_dir / f"speech-{len(utterances)}-{hashlib.sha256(blob).hexdigest()[:12]}"
    if not (directory / "done").exists():
        clips = synthesize_many(utterances)
        directory.mkdir(parents=True, exist_ok=True)
        offsets = np.cumsum([0] + [len(c) for c in clips], dtype=np.int64)
        np.save(directory / "audio.npy", np.concatenate(clips))
        np.save(directory / "offsets.npy", offsets)
        (directory / "utterances.json").write_bytes(blob)
        (directory / "done").touch()
    return SpeechSet(
        audio=np.load(directory / "audio.npy", mmap_mode="r"),
        offsets=np.load(directory / "offsets.npy"),
        utterances=utterances,
    )


# The demo clip speaks sentences, not random words, so the punctuation model has sentences
# to mark: statements and questions, made only of the tiny model's vocabulary (checked).
DEMO_SCRIPT = (
    "every morning the woman and her dog walk near the river",
    "what is the name of the tiny bird in the garden",
    "the dog is happy but the cat is sad",
    "will it snow tomorrow",
    "we often swim in the lake in summer",
    "who will help the teacher",
    "the teacher will tell a story after dinner",
    "what time is it now",
)
DEMO_VOICE = "en-us"
DEMO_SPEED = 160
DEMO_PITCH = 50
DEMO_AUDIO = "demo_speech.flac"
DEMO_TEXT = "demo_speech.txt"
PAUSE_S = 0.9


def demo_utterances() -> list[Utterance]:
    """The demo script in one plain voice; a word the model was never taught is an error."""
    vocabulary = set(load_vocabulary())
    unknown = sorted({w for sentence in DEMO_SCRIPT for w in sentence.split()} - vocabulary)
    if unknown:
        raise ValueError(f"not in {VOCABULARY_FILE.name}: {', '.join(unknown)}")
    return [Utterance(text, DEMO_VOICE, DEMO_SPEED, DEMO_PITCH) for text in DEMO_SCRIPT]


def write_demo_clip(directory: Path) -> None:
    """The bundled demo clip and its text, in ``directory``."""
    write_clip(demo_utterances(), directory / DEMO_AUDIO, directory / DEMO_TEXT)


def write_clip(utterances: Sequence[Utterance], flac: Path, text: Path) -> None:
    """The sentences one after another with pauses (long enough to end a segment), and the text."""
    pause = np.zeros(int(PAUSE_S * SAMPLE_RATE), dtype=np.int16)
    pieces = [pause]
    for clip in synthesize_many(utterances):
        pieces += [clip, pause]
    flac.parent.mkdir(parents=True, exist_ok=True)
    recorder = Recorder(flac, SAMPLE_RATE)
    recorder.write(to_float(np.concatenate(pieces)))
    recorder.close()
    if recorder.warning is not None:
        raise OSError(recorder.warning)
    text.write_text("".join(u.text + "\n" for u in utterances), encoding="utf-8")
