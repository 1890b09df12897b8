"""Any audio FFmpeg reads decodes to the plain mean of its channels, or is refused in one line.

Property-based (Hypothesis): files are written with PyAV across containers,
codecs, sample formats (u8 to dbl, packed and planar), rates (8 to 384 kHz)
and channel counts (1 to 64, named layouts and unnamed ones), then decoded
as ``transcribe`` and the capture worker decode them. Damaged files
(truncated, bytes flipped, header only) must decode to something or raise
:class:`AudioSourceError`, never fault or raise anything else. The real
commands run on such files in ``tests/e2e/test_any_input_cli.py``.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given

from tests.audio_files import AudioFile, Damage, audio_files, damage, damaged, tone, write_file
from tui_captions.audio.decode import MAX_CHANNELS, DecodedAudio
from tui_captions.errors import AudioSourceError

RATE = 16_000
LOSSLESS = {"pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_f64le", "flac", "alac"}


def decode(path: Path) -> np.ndarray:
    return np.concatenate(list(DecodedAudio(str(path)).blocks(RATE)))


@given(spec=audio_files())
def test_every_kind_decodes_to_mono_of_the_right_length(
    spec: AudioFile, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = write_file(tmp_path_factory.mktemp("any") / f"audio.{spec.kind.suffix}", spec)
    mono = decode(path)
    assert mono.dtype == np.float32 and mono.ndim == 1
    assert np.isfinite(mono).all()
    # Codecs pad to whole frames and prime their decoders (AAC: up to three frames of
    # 1024 samples, 0.38 s at 8 kHz); resamplers have delays of a few ms.
    slack = 0.05 + 3 * 1024 / spec.rate
    assert spec.seconds - 0.05 < mono.size / RATE < spec.seconds + slack
    assert 0.0 < float(np.abs(mono).max()) <= 1.0


@given(spec=audio_files().filter(lambda s: s.kind.codec in LOSSLESS))
def test_the_mix_is_the_plain_mean_of_the_channels(
    spec: AudioFile, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """One channel speaks, the others are silent: the mix is that channel over the count
    (FFmpeg's own downmix would weight channels by their position instead)."""
    spec = AudioFile(spec.kind, spec.sample_format, RATE, spec.channels, 0.3, spec.named_layout)
    signal = tone(1, RATE, spec.seconds)[:, 0]
    loud = spec.channels // 2  # not always the first: each channel must count
    samples = np.zeros((signal.size, spec.channels), dtype=np.float32)
    samples[:, loud] = signal
    path = write_file(tmp_path_factory.mktemp("mix") / f"mix.{spec.kind.suffix}", spec, samples)
    mono = decode(path)[: signal.size]
    expected = signal[: mono.size] / spec.channels
    assert np.abs(mono - expected).max() < 2e-3 + np.abs(expected).max() * 1e-3


@given(spec=audio_files(), hurt=damage())
def test_damaged_files_decode_or_are_refused_in_one_line(
    spec: AudioFile, hurt: Damage, tmp_path_factory: pytest.TempPathFactory
) -> None:
    path = write_file(tmp_path_factory.mktemp("bad") / f"audio.{spec.kind.suffix}", spec)
    damaged(path, hurt)
    try:
        mono = decode(path)
    except AudioSourceError as refused:
        message = str(refused)
        assert "\n" not in message and message.startswith(str(path))
    else:
        assert mono.dtype == np.float32 and np.isfinite(mono).all()


def test_more_channels_than_the_resampler_takes_are_refused_in_one_line(tmp_path: Path) -> None:
    channels = MAX_CHANNELS + 1
    path = tmp_path / "many.wav"
    with wave.open(str(path), "wb") as many:  # PyAV cannot write so many; a plain header can
        many.setnchannels(channels)
        many.setsampwidth(2)
        many.setframerate(8000)
        many.writeframes(np.zeros(800 * channels, dtype="<i2").tobytes())
    with pytest.raises(AudioSourceError, match=f"{channels} channels cannot be captioned"):
        decode(path)
