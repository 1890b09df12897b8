"""What the speaker-label tests share: the tiny embedding model, the real sample, scoring."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pytest
from pyannote.core import Annotation, Segment

from tests.audio_files import read_audio
from tools.pyannote_sample import DEFAULT_DEST as SAMPLE_DIR

TINY_SPEAKERS = Path(__file__).parent / "fixtures" / "tiny-speakers" / "tiny-speakers.onnx"


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
