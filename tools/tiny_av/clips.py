"""Talking-face clips of held-out sentences with noise in their sound: what the evaluation
and the tests give ``captions-tui transcribe``.

The sentences follow each other with a second of silence, as one clip; the face
is rendered from the clean speech (the camera does not hear the room), and
white noise at ``snr_db`` against the speech's own power is added to the sound
only. ``snr_db=None``: clean; ``silent``: no sound at all, the lips alone.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tools.talking_face import Speech, default_face, render, speak, write_clip
from tools.tiny_av.data import placed
from tools.tiny_model.data import Utterance
from tools.tiny_model.evaluate import wer
from tui_captions.vision.face import FaceFinder

RATE = 19_200  # 640 samples a frame: sentences and pauses stay on frame boundaries
PAUSE_FRAMES = 30


def talking_sentences(
    utterances: Sequence[Utterance], seed: int
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The sentences' clean sound and the face's frames, one after another with pauses."""
    face = placed(default_face(), random.Random(seed))
    box = FaceFinder().find(face)
    if box is None:
        raise RuntimeError("no face found in the placed photo")
    sound: list[np.ndarray] = []
    frames: list[np.ndarray] = []
    for utterance in utterances:
        speech = speak(utterance.text, utterance.voice, utterance.speed, utterance.pitch, RATE)
        rendered = render(speech, face, box, RATE)
        pause = [render(Speech(np.zeros(RATE // 30, np.float32), []), face, box, RATE)[0]]
        sound.append(np.pad(speech.samples, (0, len(rendered) * 640 - len(speech.samples))))
        sound.append(np.zeros(PAUSE_FRAMES * 640, np.float32))
        frames += rendered + pause * PAUSE_FRAMES
    return np.concatenate(sound), frames


def with_noise(sound: np.ndarray, snr_db: float | None, seed: int) -> np.ndarray:
    """White noise at ``snr_db`` against the power of the speech (its non-silent part)."""
    if snr_db is None:
        return sound
    speech_power = float(np.mean(sound[np.abs(sound) > 1e-4] ** 2))
    noise = np.random.default_rng(seed).standard_normal(len(sound)).astype(np.float32)
    return (sound + noise * np.sqrt(speech_power / 10 ** (snr_db / 10))).astype(np.float32)


def clip(
    path: Path, sound: np.ndarray, frames: list[np.ndarray], snr_db: float | None, seed: int = 0
) -> Path:
    """An MP4 of the frames with the sound, noise added (``snr_db``), or silent
    (``snr_db`` = -inf)."""
    noisy = np.zeros_like(sound) if snr_db == -np.inf else with_noise(sound, snr_db, seed)
    return write_clip(path, Speech(np.clip(noisy, -1, 1), []), frames, RATE)


def clip_wer(utterances: Sequence[Utterance], written: str) -> float:
    """The word error rate of a whole clip's text against its sentences, in order."""
    return wer([" ".join(u.text for u in utterances)], [written])
