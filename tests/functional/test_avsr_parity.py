"""The audio-visual engine against seed 001's loop, window by window, on a random scripted model
of the device model's interface (built here: the 99 MB published file is not in git)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from bench.reference_avsr import SeedAvsr
from tui_captions.asr.avsr.engine import AV_FORMAT, load_avsr
from tui_captions.asr.engine import DecodeOptions, RunOptions
from tui_captions.audio.decode import decode_audio

WINDOWS = 6


def test_windows_equal_the_seeds_loop(random_av_dir: Path, speech_wav: Path) -> None:
    ours = load_avsr(random_av_dir, RunOptions(1, "none", "cpu")).create_stream(
        DecodeOptions(beam=10, endpoint_silence_s=3600.0, max_segment_s=3600.0)
    )
    seed = SeedAvsr(random_av_dir, beam=10)
    speech = np.concatenate(list(decode_audio(str(speech_wav), AV_FORMAT.sample_rate)))
    audio = np.resize(speech, WINDOWS * AV_FORMAT.chunk_samples).reshape(WINDOWS, -1)
    crops = np.random.default_rng(1).integers(0, 256, (WINDOWS, 32, 44, 44), dtype=np.uint8)
    printed = ""
    for index in range(WINDOWS):
        step = ours.accept(audio[index], video=crops[index])
        printed += seed.window(audio[index], crops[index])
        assert step.partial == printed.strip(), f"window {index} differs"
        assert step.finals == ()
    assert len(printed.split()) >= 3, "the model must write something for this to mean much"
    (line,) = ours.finish()
    assert line.text == printed.strip()


def test_windows_without_video_are_black_crops(random_av_dir: Path, speech_wav: Path) -> None:
    """No crops (no face yet, --video off, an audio-only input): black ones, as the seed's
    cacher starts with."""
    engine = load_avsr(random_av_dir, RunOptions(1, "none", "cpu"))
    options = DecodeOptions(beam=4, endpoint_silence_s=3600.0)
    without, black = engine.create_stream(options), engine.create_stream(options)
    speech = np.concatenate(list(decode_audio(str(speech_wav), AV_FORMAT.sample_rate)))
    audio = np.resize(speech, AV_FORMAT.chunk_samples)
    zeros = np.zeros((32, 44, 44), np.uint8)
    assert without.accept(audio).partial == black.accept(audio, video=zeros).partial
