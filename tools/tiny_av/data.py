"""Talking faces for the tiny audio-visual model: speech, and the crops the app would cut from it.

Each sentence of the tiny vocabulary (``tools.tiny_model``'s words, voices,
speeds and pitches) is spoken by espeak-ng at 19.2 kHz and its phonemes move
the mouth of a photo (``tools.talking_face``); the photo is moved and scaled
a little per sentence, so crops vary as a camera's do. Every frame then goes
the capture worker's way: read 600 pixels wide, the face looked for every
tenth frame (``FaceCrops``), aligned and cut to 44x44. Audio (int16) and
crops (uint8) are cached under ``.work/tiny_av/``, one memory-mapped pair of
arrays per set, with per-sentence offsets.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict
from multiprocessing import Pool
from pathlib import Path

import cv2
import numpy as np

from tools.talking_face import VISEMES, Speech, default_face, mouth_track, phonemes, render, speak
from tools.tiny_model.data import Utterance
from tui_captions.audio.decode import FRAME_WIDTH
from tui_captions.audio.video import FaceCrops
from tui_captions.vision.face import FaceFinder

WORK_DIR = Path(__file__).resolve().parents[2] / ".work" / "tiny_av"
RATE = 19_200
FPS = 30
PROCESSES = 2
NO_MOUTH = -1  # a frame's viseme label where no face was cut yet: nothing to learn from it


def placed(face: np.ndarray, rng: random.Random) -> np.ndarray:
    """The photo a little moved and scaled, on a plain background of the same size."""
    height, width = face.shape[:2]
    scale = rng.uniform(0.85, 1.1)
    shift = (rng.uniform(-0.06, 0.06) * width, rng.uniform(-0.05, 0.05) * height)
    matrix = np.array(
        [
            [scale, 0, (1 - scale) * width / 2 + shift[0]],
            [0, scale, (1 - scale) * height / 2 + shift[1]],
        ],
        dtype=np.float32,
    )
    grey = int(rng.uniform(60, 200))
    return cv2.warpAffine(face, matrix, (width, height), borderValue=(grey, grey, grey))


def one(job: tuple[Utterance, int]) -> tuple[np.ndarray, np.ndarray]:
    """A sentence's audio (int16 at 19.2 kHz) and its crops ``(frames, 44, 44)``."""
    utterance, seed = job
    rng = random.Random(seed)
    face = placed(default_face(), rng)
    box = FaceFinder().find(face)
    speech = speak(utterance.text, utterance.voice, utterance.speed, utterance.pitch, RATE)
    crops = FaceCrops()
    cut = []
    for frame in render(speech, face, box, RATE) if box is not None else []:
        height = round(FRAME_WIDTH * frame.shape[0] / frame.shape[1] / 2) * 2
        seen = crops.push(cv2.resize(frame, (FRAME_WIDTH, height), interpolation=cv2.INTER_AREA))
        cut.append(seen if seen is not None else np.zeros((44, 44), np.uint8))
    frames = int(np.ceil(len(speech.samples) / (RATE / FPS)))
    video = np.stack(cut) if cut else np.zeros((frames, 44, 44), np.uint8)
    audio = np.clip((speech.samples * 32768.0).round(), -32768, 32767).astype(np.int16)
    return audio, video


class AvSet:
    """A cached set: audio and crops of every sentence, and the sentences."""

    def __init__(self, directory: Path, utterances: list[Utterance]) -> None:
        self.audio = np.load(directory / "audio.npy", mmap_mode="r")
        self.video = np.load(directory / "video.npy", mmap_mode="r")
        self.audio_offsets = np.load(directory / "audio_offsets.npy")
        self.video_offsets = np.load(directory / "video_offsets.npy")
        self.utterances = utterances

    def __len__(self) -> int:
        return len(self.utterances)

    def samples(self, index: int) -> np.ndarray:
        """float32 in [-1, 1] at 19.2 kHz."""
        start, end = self.audio_offsets[index], self.audio_offsets[index + 1]
        return self.audio[start:end].astype(np.float32) / 32768.0

    def crops(self, index: int) -> np.ndarray:
        return np.asarray(self.video[self.video_offsets[index] : self.video_offsets[index + 1]])

    def visemes(self, index: int) -> np.ndarray:
        """Per crop, the index (in ``VISEMES``) of the mouth drawn on it, or ``NO_MOUTH``."""
        if not hasattr(self, "_visemes"):
            self._visemes = _viseme_labels(self)
        return self._visemes[self.video_offsets[index] : self.video_offsets[index + 1]]


def _mouths(job: tuple[Utterance, np.ndarray, int]) -> np.ndarray:
    """One sentence's viseme labels: the talking face's own mouth track of its sound."""
    utterance, audio, frames = job
    spoken = Speech(
        audio.astype(np.float32) / 32768.0,
        phonemes(utterance.text, utterance.voice, utterance.speed, utterance.pitch),
    )
    names = list(VISEMES)
    return np.array([names.index(shape) for shape, _ in mouth_track(spoken, frames, RATE)], np.int8)


def _viseme_labels(data: AvSet) -> np.ndarray:
    """The set's viseme labels, made once (espeak-ng's phonemes only) and cached beside it."""
    directory = Path(data.audio.filename).parent
    path = directory / "visemes.npy"
    if not path.exists():
        jobs = [
            (
                u,
                data.audio[data.audio_offsets[i] : data.audio_offsets[i + 1]],
                int(data.video_offsets[i + 1] - data.video_offsets[i]),
            )
            for i, u in enumerate(data.utterances)
        ]
        with Pool(PROCESSES) as pool:
            labels = np.concatenate(pool.map(_mouths, jobs, chunksize=16))
        labels[np.asarray(data.video).reshape(len(labels), -1).max(axis=1) == 0] = NO_MOUTH
        np.save(path, labels)
    return np.load(path)


def build_set(utterances: list[Utterance], seed: int, work_dir: Path = WORK_DIR) -> AvSet:
    """Make ``utterances`` once (two processes); later calls read the cache."""
    blob = json.dumps([asdict(u) for u in utterances]).encode()
    directory = work_dir / f"av-{len(utterances)}-{hashlib.sha256(blob).hexdigest()[:12]}"
    if not (directory / "done").exists():
        directory.mkdir(parents=True, exist_ok=True)
        jobs = [(u, seed * 100_000 + i) for i, u in enumerate(utterances)]
        with Pool(PROCESSES) as pool:
            made = pool.map(one, jobs, chunksize=8)
        audio = [a for a, _ in made]
        video = [v for _, v in made]
        np.save(directory / "audio.npy", np.concatenate(audio))
        np.save(directory / "video.npy", np.concatenate(video))
        np.save(directory / "audio_offsets.npy", np.cumsum([0] + [len(a) for a in audio]))
        np.save(directory / "video_offsets.npy", np.cumsum([0] + [len(v) for v in video]))
        (directory / "utterances.json").write_bytes(blob)
        (directory / "done").touch()
    return AvSet(directory, utterances)
