"""Synthetic speakers: espeak-ng voice variants and flite voices, each at its own pitch.

A *speaker* is one synthesiser voice at one pitch and base rate; every sentence it
says jitters the rate a little, as a person's pace varies. espeak-ng's variants
(``en-us+NAME``) change the formants and the glottal source, ``-p`` the pitch;
flite's voices take a target mean f0 and a duration stretch. Which variants train
and which are held out is fixed here, so tests, the benchmark and the recipe agree.
"""

from __future__ import annotations

import io
import random
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.signal import resample_poly

from tools.tiny_model.data import load_vocabulary

SAMPLE_RATE = 16_000
ESPEAK_DATA = Path("/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v")
# Variants whose voice is a whisper or a robot effect rather than a speaker.
UNSPEAKERLIKE = frozenset({"whisper", "whisperf", "Demonic", "UniRobot", "anikaRobot", "croak"})
# Held out of training: every fifth variant in sorted order (the tests' speakers).
HELD_OUT_EVERY = 5
TRAIN_PITCHES = (20, 35, 50, 65, 80)
HELD_OUT_PITCHES = (27, 42, 58, 73)
FLITE_VOICES = ("awb", "rms", "slt", "kal16")
FLITE_TRAIN_F0 = (90, 120, 150, 180, 210)
RATE_RANGE = (135, 185)
RATE_JITTER = 10
WORDS_PER_SENTENCE = (4, 12)


@dataclass(frozen=True)
class Speaker:
    """One synthetic speaker: an engine, its voice and where its pitch and pace sit."""

    engine: str  # "espeak" or "flite"
    voice: str
    pitch: int  # espeak-ng -p (0-99), or flite's mean f0 in Hz
    rate: int  # words a minute (espeak-ng -s); flite's stretch follows from it

    @property
    def name(self) -> str:
        return f"{self.engine}:{self.voice}:p{self.pitch}:s{self.rate}"


def espeak_variants() -> list[str]:
    """espeak-ng's voice variants on this machine, sorted, the speaker-like ones only."""
    names = sorted(p.name for p in ESPEAK_DATA.iterdir() if p.is_file())
    return [name for name in names if name not in UNSPEAKERLIKE]


def split_variants() -> tuple[list[str], list[str]]:
    """(training variants, held-out variants): no held-out variant is ever trained on."""
    variants = espeak_variants()
    held = variants[HELD_OUT_EVERY // 2 :: HELD_OUT_EVERY]
    return [v for v in variants if v not in held], held


def training_speakers(seed: int = 1) -> list[Speaker]:
    """Every training variant at every training pitch, and flite's voices at several f0s."""
    rng = random.Random(seed)
    train, _ = split_variants()
    speakers = [
        Speaker("espeak", variant, pitch, rng.randint(*RATE_RANGE))
        for variant in train
        for pitch in TRAIN_PITCHES
    ]
    speakers += [
        Speaker("flite", voice, f0, rng.randint(*RATE_RANGE))
        for voice in FLITE_VOICES
        for f0 in FLITE_TRAIN_F0
    ]
    return speakers


def held_out_speakers(seed: int = 2) -> list[Speaker]:
    """Held-out variants at pitches never trained on (espeak-ng only: what tests need)."""
    rng = random.Random(seed)
    _, held = split_variants()
    return [
        Speaker("espeak", variant, pitch, rng.randint(*RATE_RANGE))
        for variant in held
        for pitch in HELD_OUT_PITCHES
    ]


def sentences(count: int, seed: int) -> list[str]:
    """Random word orders from the tiny Emformer's vocabulary; the seed picks the set,
    so training (seed 1) and held-out (other seeds) sentences differ."""
    rng = random.Random(seed)
    words = load_vocabulary()
    return [
        " ".join(rng.choice(words) for _ in range(rng.randint(*WORDS_PER_SENTENCE)))
        for _ in range(count)
    ]


def _read_wav(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data)) as wav:
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    return samples.astype(np.float32) / 32768.0, rate


def _to_16k(samples: np.ndarray, rate: int) -> np.ndarray:
    if rate == SAMPLE_RATE:
        return samples
    divisor = np.gcd(rate, SAMPLE_RATE)
    resampled = resample_poly(samples, SAMPLE_RATE // divisor, rate // divisor)
    return np.asarray(resampled, dtype=np.float32)


def say(speaker: Speaker, text: str, rate_offset: int = 0) -> np.ndarray:
    """``text`` in ``speaker``'s voice: float32 mono at 16 kHz, silence trimmed at the ends.

    Deterministic: the same speaker, text and offset give the same samples.
    """
    rate = speaker.rate + rate_offset
    if speaker.engine == "espeak":
        command = ["espeak-ng", "-v", f"en-us+{speaker.voice}", "-p", str(speaker.pitch)]
        command += ["-s", str(rate), "--stdout", text]
        data = subprocess.run(command, capture_output=True, check=True).stdout
    else:
        with tempfile.NamedTemporaryFile(suffix=".wav") as out:
            stretch = f"{160 / rate:.3f}"
            command = ["flite", "-voice", speaker.voice, "-t", text, "-o", out.name]
            command += ["--setf", f"int_f0_target_mean={speaker.pitch}"]
            command += ["--setf", f"duration_stretch={stretch}"]
            subprocess.run(command, capture_output=True, check=True)
            data = Path(out.name).read_bytes()
    samples = _to_16k(*_read_wav(data))
    voiced = np.flatnonzero(np.abs(samples) > 1e-3)
    return samples[voiced[0] : voiced[-1] + 1] if len(voiced) else samples
