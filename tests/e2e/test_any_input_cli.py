"""`transcribe` and `live --input` on any file people have, in real processes.

Property-based: Hypothesis writes speech into files of every kind the
decoding tests cover (containers, codecs, sample formats, rates, 1 to 64
channels, with video or without), sometimes damaged. Every run must end
with exit 0 and the words, or exit 2 and one ``captions-tui: error:`` line;
never a traceback, a signal death or a process left behind. The issue's own
reproductions (an 8-channel WAV, output paths that cannot be written) are
plain tests beside them.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.audio_files import KINDS, AudioFile, Damage, audio_files, damage, damaged, write_file
from tests.conftest import PROCESS_CASES, espeak_wav
from tui_captions.audio.decode import decode_audio

GONE_WITHIN_S = 3.0
MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-emformer"
SENTENCE = "the old man and the young woman walk near the river"
CLI = [sys.executable, "-m", "tui_captions.cli"]
# `live` plays a file at real time; these tests are about reading it, not its pace.
FAST = ("--input-speed", "8")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return espeak_wav(tmp_path_factory.mktemp("speech") / "sentence.wav", SENTENCE)


def speech_file(folder: Path, spec: AudioFile, speech: Path) -> Path:
    """The sentence at the spec's rate, in every channel (each a little quieter)."""
    mono = np.concatenate(list(decode_audio(str(speech), spec.rate)))
    gains = np.linspace(1.0, 0.6, spec.channels, dtype=np.float32)
    samples = np.ascontiguousarray(mono[:, None] * gains[None, :])
    timed = AudioFile(
        spec.kind, spec.sample_format, spec.rate, spec.channels, mono.size / spec.rate,
        spec.named_layout,
    )  # fmt: skip
    return write_file(folder / f"speech.{spec.kind.suffix}", timed, samples)


def run(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The command in a session of its own; afterwards, nothing of that session may live."""
    process = subprocess.Popen(
        [*CLI, *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    finally:
        # multiprocessing's resource tracker ends when it sees its parent gone: a moment.
        deadline = time.monotonic() + GONE_WITHIN_S
        while (left := session_members(process.pid)) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert not left, f"processes left behind: {left}"
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def session_members(session: int) -> list[int]:
    """Processes now alive in the process session ``session`` (zombies are dead)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == session and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def ended_well(result: subprocess.CompletedProcess[str]) -> list[str]:
    """Exit 0 with its final lines (returned), or exit 2 with one error line (then [])."""
    assert result.returncode in (0, 2), (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    assert all(line.startswith("captions-tui: ") for line in result.stderr.splitlines()), (
        result.stderr
    )
    errors = [line for line in result.stderr.splitlines() if line.startswith("captions-tui: error")]
    if result.returncode == 2:
        assert len(errors) == 1, result.stderr
        return []
    assert not errors, result.stderr
    return [json.loads(line)["text"] for line in result.stdout.splitlines()]


def heard_enough(texts: list[str], spec: AudioFile) -> None:
    """Text came; from audio of 16 kHz or more, most of the sentence (the tiny model
    hears little of 8 kHz telephone-band speech)."""
    words = " ".join(texts).split()
    assert words, "no text"
    if spec.rate >= 16_000:
        assert len(set(words) & set(SENTENCE.split())) >= 4, words


@PROCESS_CASES
@given(spec=audio_files(), hurt=st.none() | damage())
def test_transcribe_any_file(
    spec: AudioFile,
    hurt: Damage | None,
    speech: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    path = speech_file(tmp_path_factory.mktemp("transcribe"), spec, speech)
    if hurt is not None:
        damaged(path, hurt)
    texts = ended_well(run("transcribe", path, "--model", MODEL, "--format", "jsonl"))
    if hurt is None:
        heard_enough(texts, spec)


@PROCESS_CASES
@given(spec=audio_files(), hurt=st.none() | damage())
def test_live_input_any_file(
    spec: AudioFile,
    hurt: Damage | None,
    speech: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    path = speech_file(tmp_path_factory.mktemp("live"), spec, speech)
    if hurt is not None:
        damaged(path, hurt)
    texts = ended_well(run("live", "--input", path, *FAST, "--model", MODEL, "--format", "jsonl"))
    if hurt is None:
        heard_enough(texts, spec)


@pytest.mark.parametrize("rate", [48_000, 8_000])
def test_an_eight_channel_wav_is_captioned(rate: int, speech: Path, tmp_path: Path) -> None:
    """The issue's crash: 8 channels faulted in PyAV's planar frames (exit 139)."""
    wav = next(k for k in KINDS if k.codec == "pcm_s16le" and k.suffix == "wav")
    spec = AudioFile(wav, "s16", rate, 8, 0.0, True)
    path = speech_file(tmp_path, spec, speech)
    commands: list[list[str | Path]] = [["transcribe", path], ["live", "--input", path, *FAST]]
    for command in commands:
        texts = ended_well(run(*command, "--model", MODEL, "--format", "jsonl"))
        heard_enough(texts, spec)
