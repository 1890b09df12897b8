"""Known answer per family: `captions-tui transcribe --model DIR --decoder greedy` writes the
lines sherpa-onnx's own decoding loop writes on the same audio, endpoints included.

The loop is sherpa-onnx's endpoint example (python-api-examples/
speech-recognition-from-microphone-with-endpoint-detection.py): feed a chunk, decode
while ready, and at an endpoint take the text and reset; at the end of the file, the
tail of silence that lets the model's look-ahead see past the last word. It is built
here from the files, not from the engine. Speech with a pause, so that a line ends.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sherpa_onnx

from tests.audio_files import read_audio, write_audio
from tests.cli import run_cli
from tests.conftest import espeak_wav
from tools.random_sherpa import BUILDERS, make_random_sherpa
from tui_captions.asr.sherpa.model_dir import Family, SherpaDir

RATE = 16_000
ENDPOINT_SILENCE_S = 1.0
FEATURE_SHIFT_S = 0.01
# sherpa-onnx counts a CTC model's trailing blanks as 4 feature frames each
# (csrc/online-recognizer-ctc-impl.h); a NeMo CTC model's frames are 8.
CTC_COUNTED_SUBSAMPLING = 4
TAIL_S = 0.66  # sherpa-onnx's examples' tail of silence (the speech ends in a pause anyway)


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    """Speech with a pause longer than the endpoint silence and one shorter (only the first
    ends a line), at 16 kHz: no resampling on either side."""
    folder = tmp_path_factory.mktemp("speech")
    parts = [
        read_audio(espeak_wav(folder / f"{n}.wav", text), RATE)
        for n, text in enumerate(("the quick brown fox", "jumps over", "the lazy dog again"))
    ]
    short, long = (np.zeros(int(s * RATE), np.float32) for s in (0.3, 1.2))
    return np.concatenate([parts[0], short, parts[1], long, parts[2], long])


def chunk_samples(model: SherpaDir) -> int:
    """The samples of the feature frames a chunk advances, from the metadata."""
    nemo = model.family.startswith("nemo")
    frames = int(model.metadata["chunk_shift" if nemo else "decode_chunk_len"])
    return round(frames * FEATURE_SHIFT_S * RATE)


def sherpa_loop(model: SherpaDir, audio: np.ndarray, chunk: int) -> list[str]:
    silence = ENDPOINT_SILENCE_S
    if model.family == "nemo_ctc":  # the same true silence, in the frames sherpa-onnx counts
        silence *= CTC_COUNTED_SUBSAMPLING / int(model.metadata["subsampling_factor"])
    rules = {
        "enable_endpoint_detection": True,
        "rule1_min_trailing_silence": silence,
        "rule2_min_trailing_silence": silence,
        "rule3_min_utterance_length": 1e9,
        "num_threads": 1,
        "tokens": str(model.tokens),
    }
    if model.family == "nemo_ctc":
        recognizer = sherpa_onnx.OnlineRecognizer.from_nemo_ctc(model=str(model.model), **rules)
    elif model.family == "zipformer2_ctc":
        recognizer = sherpa_onnx.OnlineRecognizer.from_zipformer2_ctc(
            model=str(model.model), **rules
        )
    else:
        recognizer = sherpa_onnx.OnlineRecognizer.from_transducer(
            encoder=str(model.encoder),
            decoder=str(model.decoder),
            joiner=str(model.joiner),
            decoding_method="greedy_search",
            **rules,
        )
    stream = recognizer.create_stream()
    lines: list[str] = []

    def take() -> None:
        text = " ".join(recognizer.get_result(stream).split())
        if text:
            lines.append(text)
        recognizer.reset(stream)

    for start in range(0, len(audio), chunk):
        stream.accept_waveform(RATE, audio[start : start + chunk])
        while recognizer.is_ready(stream):
            recognizer.decode_stream(stream)
        if recognizer.is_endpoint(stream):
            take()
    stream.accept_waveform(RATE, np.zeros(round(TAIL_S * RATE), np.float32))
    while recognizer.is_ready(stream):
        recognizer.decode_stream(stream)
    take()
    return lines


@pytest.mark.parametrize("family", sorted(BUILDERS))
def test_transcribe_writes_what_sherpa_onnxs_own_loop_writes(
    family: Family, speech: np.ndarray, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    model = make_random_sherpa(tmp_path / family, family)
    chunk = chunk_samples(model)
    audio = np.concatenate([speech, np.zeros(-len(speech) % chunk, np.float32)])  # whole chunks
    wav = write_audio(tmp_path / "speech.wav", audio, RATE)
    done = run_cli(
        capfd, "transcribe", wav, "--model", model.directory, "--decoder", "greedy",
        "--raw", "--format", "jsonl", "--threads", "1",
        "--endpoint-silence", str(ENDPOINT_SILENCE_S), "--max-segment", "1000",
    )  # fmt: skip
    out = done.stdout
    assert done.returncode == 0, done.stderr
    written = [json.loads(line)["text"] for line in out.splitlines()]
    expected = sherpa_loop(model, read_audio(wav, RATE), chunk)
    assert len(expected) >= 2  # the pause ended a line
    assert written == expected
