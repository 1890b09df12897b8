"""``kill -9`` a ``live`` session mid-speech: the journal holds every line it printed.

The real command in a child process, real speech at real-time pace, a real
SIGKILL; then the journal, ``sessions``, ``export`` and the recording are
checked as a user would find them afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import srt

from tests.audio_files import write_audio
from tests.cli import run_cli
from tools.tiny_model.data import make_utterances, synthesize_many, to_float
from tui_captions.audio.decode import decode_audio
from tui_captions.transcript.journal import read_journal

MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-emformer"
RATE = 16_000
UTTERANCES = 8
PRINTED_BEFORE_KILL = 3
PAUSE_S = 1.5  # well over the endpoint silence, so each sentence becomes one final line

pytestmark = pytest.mark.slow


def sentences(directory: Path, count: int) -> Path:
    """Sentences with pauses between them, so each becomes one final segment."""
    clips = synthesize_many(make_utterances(count, 11))
    pause = np.zeros(int(PAUSE_S * RATE), dtype=np.float32)
    audio = np.concatenate([part for clip in clips for part in (to_float(clip), pause)])
    return write_audio(directory / f"sentences-{count}.wav", audio, RATE)


@pytest.fixture(scope="module")
def sentences_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Far more final segments than the test waits for before the kill."""
    return sentences(tmp_path_factory.mktemp("speech"), UTTERANCES)


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui_captions.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )


def test_kill_9_mid_speech_loses_nothing_printed(sentences_wav: Path, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    live = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui_captions.cli",
            "live",
            "--input",
            str(sentences_wav),
            "--input-speed",  # the kill, not the pace, is the subject
            "3",
            "--model",
            str(MODEL),
            "--record",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert live.stdout is not None
    printed: list[str] = []
    try:
        while len(printed) < PRINTED_BEFORE_KILL:
            line = live.stdout.readline()
            assert line, f"live ended after printing {printed}"
            printed.append(line.rstrip("\n"))
        assert live.poll() is None, "the input ended before the kill: not mid-speech"
        os.kill(live.pid, signal.SIGKILL)
        # Lines printed between our last read and the kill are still in the pipe.
        printed += live.stdout.read().splitlines()
    finally:
        live.kill()
        live.wait()
    assert live.returncode == -signal.SIGKILL

    (journal_path,) = (tmp_path / "data" / "captions-tui" / "sessions").glob("*.jsonl")
    session = read_journal(journal_path)
    journaled = [segment.shown(raw=False) for segment in session.segments]
    # Journaled before printed: every printed line is there, at most one more is not printed.
    assert journaled[: len(printed)] == printed
    assert len(printed) <= len(journaled) <= len(printed) + 1
    assert len(journaled) < UTTERANCES
    assert session.interrupted

    listed = json.loads(cli("sessions", "--json", env=env).stdout)
    assert [(s["id"], s["interrupted"], s["segments"]) for s in listed] == [
        (session.id, True, len(journaled))
    ]
    cues = list(srt.parse(cli("export", "last", "--format", "srt", env=env).stdout))
    assert " ".join(cue.content for cue in cues).split() == " ".join(journaled).split()
    spans = [(s.start, s.end) for s in session.segments]  # each cue on its line's speech
    assert all(any(a <= c.start.total_seconds() < b for a, b in spans) for c in cues)

    # The recording was flushed as it went: it covers every journaled segment.
    recording = journal_path.with_suffix(".flac")
    recorded = np.concatenate(list(decode_audio(str(recording), RATE)))
    assert recorded.size / RATE >= session.segments[-1].end - 0.5


def test_recording_redone_by_transcribe_gives_what_live_printed(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the test's process: what was recorded is the subject, not the process or the pace."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    wav = sentences(tmp_path, 3)
    printed = run_cli(
        capfd, "live", "--input", wav, "--input-speed", "4", "--model", MODEL, "--record"
    ).stdout
    (recording,) = (tmp_path / "data" / "captions-tui" / "sessions").glob("*.flac")
    redone = run_cli(capfd, "transcribe", recording, "--model", MODEL).stdout
    assert printed.strip()
    assert redone == printed
