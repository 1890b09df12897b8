"""What the speaker-label tests share: the tiny embedding model, the real sample, scoring."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from pyannote.core import Annotation, Segment
from pyannote.metrics.diarization import DiarizationErrorRate

from tests.audio_files import read_audio, write_audio
from tools.pyannote_sample import DEFAULT_DEST as SAMPLE_DIR
from tools.tiny_speakers.conversations import Conversation, conversation, distinct_speakers
from tools.tiny_speakers.voices import SAMPLE_RATE
from tui_captions.speakers.labeller import SpeakerLabeller

TINY_SPEAKERS = Path(__file__).parent / "fixtures" / "tiny-speakers" / "tiny-speakers.onnx"


def two_voice_talk(folder: Path, seconds: float) -> tuple[Conversation, Path]:
    """Two held-out voices taking turns of 3-6 s, with pauses long enough to end the
    recognizer's lines between them, and no overlap: each line has one speaker. Written to
    ``folder``/talk.wav; the same conversation every time (a longer one starts the same)."""
    talk = conversation(
        distinct_speakers(2, seed=21),
        seed=21,
        seconds=seconds,
        turn_s=(3.0, 6.0),
        pause_s=(0.8, 1.2),
        overlap_chance=0.0,
    )
    return talk, write_audio(folder / "talk.wav", talk.audio, SAMPLE_RATE)


def pyannote_sample() -> tuple[np.ndarray, Annotation]:
    """The real telephone conversation in pyannote.audio's wheel and its reference turns
    (``make test`` fetches them: tools/pyannote_sample.py)."""
    wav, rttm = SAMPLE_DIR / "sample.wav", SAMPLE_DIR / "sample.rttm"
    if not rttm.is_file():
        pytest.fail(f"{SAMPLE_DIR} lacks the sample: run `make speech-sample` (or make test)")
    reference = Annotation()
    for line in rttm.read_text().splitlines():
        fields = line.split()
        start, duration = float(fields[3]), float(fields[4])
        reference[Segment(start, start + duration)] = fields[7]
    return read_audio(wav, 16_000), reference


def annotation(turns: Iterable[tuple[float, float, str]]) -> Annotation:
    """(start, end, label) triples as a pyannote annotation."""
    result = Annotation()
    for index, (start, end, label) in enumerate(turns):
        result[Segment(start, end), index] = label
    return result


# What a capture worker hands on: 100 ms.
CHUNK = SAMPLE_RATE // 10


def feed(labeller: SpeakerLabeller, audio: np.ndarray, offset: float = 0.0) -> None:
    """``audio`` to the labeller in capture-sized chunks, from ``offset`` session seconds."""
    for first in range(0, len(audio), CHUNK):
        labeller.accept(audio[first : first + CHUNK], offset + first / SAMPLE_RATE)


def diarization_error(reference: Annotation, labeller: SpeakerLabeller, seconds: float) -> float:
    """pyannote.metrics' DER of the labeller's turns over ``seconds`` of audio (a 0.25 s
    collar, overlapping speech left out)."""
    hypothesis = annotation((t.start, t.end, t.speaker or "") for t in labeller.turns())
    metric = DiarizationErrorRate(collar=0.25, skip_overlap=True)
    return float(metric(reference, hypothesis, uem=Segment(0, seconds)))


def talk_turns(talk: Conversation) -> Annotation:
    """A synthetic conversation's reference turns."""
    return annotation((t.start, t.end, t.speaker) for t in talk.turns)
