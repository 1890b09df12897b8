"""Silero VAD from its wheel, on ONNX Runtime: real weights on real speech."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from pyannote.core import Segment
from pyannote.metrics.detection import DetectionPrecisionRecallFMeasure

from tests.speaker_audio import annotation, pyannote_sample
from tui_captions.errors import ModelError
from tui_captions.speakers.vad import SAMPLE_RATE, SileroVad, SpeechDetector, speech_regions


def test_speech_and_silence_on_the_real_telephone_sample_reach_f1_0_90() -> None:
    audio, reference = pyannote_sample()
    regions = speech_regions(audio)
    hypothesis = annotation((r.start, r.end, "speech") for r in regions)
    f1 = DetectionPrecisionRecallFMeasure()(
        reference, hypothesis, uem=Segment(0, len(audio) / SAMPLE_RATE)
    )
    assert f1 >= 0.90, f"speech/non-speech F1 {f1:.3f}"


def test_pieces_of_any_size_give_the_probabilities_of_the_whole() -> None:
    audio, _ = pyannote_sample()
    audio = audio[: 5 * SAMPLE_RATE]
    whole = SileroVad().accept(audio)
    vad = SileroVad()
    sizes = [1, 160, 511, 513, 1600, 4000]
    pieces, cursor = [], 0
    for index in range(10_000):
        size = sizes[index % len(sizes)]
        pieces.append(vad.accept(audio[cursor : cursor + size]))
        cursor += size
        if cursor >= len(audio):
            break
    np.testing.assert_allclose(np.concatenate(pieces), whole, atol=1e-6)


def test_digital_silence_and_noise_hold_no_speech() -> None:
    noise = np.random.default_rng(0).normal(0, 0.01, 3 * SAMPLE_RATE).astype(np.float32)
    assert speech_regions(np.zeros(3 * SAMPLE_RATE, dtype=np.float32)) == []
    assert speech_regions(noise) == []


def test_a_region_stays_open_while_speech_goes_on_and_closes_after_silence() -> None:
    detector = SpeechDetector()
    window_s = 512 / SAMPLE_RATE
    (open_region,) = detector.accept(np.array([0.1] * 10 + [0.9] * 20))
    assert not open_region.closed and open_region.start == pytest.approx(10 * window_s - 0.03)
    closed = detector.accept(np.array([0.1] * 10))
    assert [r.closed for r in closed] == [True]
    assert closed[0].end == pytest.approx(30 * window_s + 0.03)


def test_a_file_that_is_not_a_vad_model_is_one_model_error(tmp_path: Path) -> None:
    broken = tmp_path / "vad.onnx"
    broken.write_bytes(b"not a model")
    with pytest.raises(ModelError, match="not a model ONNX Runtime can load"):
        SileroVad(broken)


def test_the_speakers_package_imports_neither_torch_nor_textual() -> None:
    code = (
        "import sys, tui_captions.speakers.labeller\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'textual'}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_without_silero_vad_installed_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def missing(name: str) -> None:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    with pytest.raises(ModelError, match="pip install silero-vad"):
        SileroVad()
