"""``live`` journals its session, records with ``--record``, and survives unwritable storage."""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tui_captions.audio.decode import decode_audio
from tui_captions.cli import main
from tui_captions.transcript.journal import read_journal

RATE = 16_000
LIVE = (sys.executable, "-m", "tui_captions.cli", "live")

pytestmark = pytest.mark.slow


def live(
    wav: Path, model: Path, data_home: Path, *extra: str, **options: Any
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LIVE, "--input", str(wav), "--model", str(model), *extra],
        env={**os.environ, "XDG_DATA_HOME": str(data_home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **options,
    )


def test_journal_and_recording_of_a_complete_session(
    speech_wav: Path,
    random_model_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = live(speech_wav, random_model_dir, tmp_path, "--record", "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    (journal_path,) = (tmp_path / "captions-tui" / "sessions").glob("*.jsonl")
    session = read_journal(journal_path)
    assert not session.interrupted
    assert session.source == str(speech_wav)
    assert session.model == str(random_model_dir)
    # Every chunk of the input was decoded, and the session lasted at least as long as it.
    source = np.concatenate(list(decode_audio(str(speech_wav), RATE)))
    assert session.stats["chunks"] == math.ceil(source.size / 2560)
    assert session.duration >= source.size / RATE
    printed = [line for line in result.stdout.splitlines() if '"final"' in line]
    assert len(printed) == len(session.segments) >= 1
    assert f"session {session.id} saved in {journal_path}" in result.stderr

    # The recording is the audio the recognizer got: the input at 16 kHz, in 16 bits.
    recorded = np.concatenate(list(decode_audio(str(journal_path.with_suffix(".flac")), RATE)))
    assert source.size <= recorded.size < source.size + 2560  # last chunk zero-padded
    assert np.abs(recorded[: source.size] - source).max() < 2 / 32767
    assert not recorded[source.size :].any()

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["sessions", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["recording"] == str(journal_path.with_suffix(".flac"))
    assert listed["interrupted"] is False


def test_unwritable_data_dir_warns_once_and_captions_go_on(
    speech_wav: Path, random_model_dir: Path, tmp_path: Path
) -> None:
    blocked = tmp_path / "a-file"  # a file where a directory is needed blocks root too
    blocked.write_text("")
    result = live(speech_wav, random_model_dir, blocked, "--record")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()  # captions were printed
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 3, result.stderr  # the journal, the recording, the end note
    assert "cannot write the session journal" in warnings[0]
    assert "cannot record" in warnings[1]
    assert "not saved" in warnings[2]
    assert "saved in" not in result.stderr


def test_full_disk_warns_once_and_captions_go_on(
    speech_wav: Path, random_model_dir: Path, tmp_path: Path
) -> None:
    """RLIMIT_FSIZE (which binds root too) stands in for a disk that fills after the header."""
    limit = 400

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    result = live(speech_wav, random_model_dir, tmp_path, preexec_fn=small_disk)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    warnings = [line for line in result.stderr.splitlines() if "warning" in line]
    assert len(warnings) == 2, result.stderr
    assert "File too large" in warnings[0]
    assert "not saved" in warnings[1]
    (journal_path,) = (tmp_path / "captions-tui" / "sessions").glob("*.jsonl")
    assert journal_path.stat().st_size <= limit
    assert journal_path.read_text().endswith("\n")  # no broken line left behind
    assert read_journal(journal_path).interrupted
