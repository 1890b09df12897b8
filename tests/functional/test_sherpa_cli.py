"""A sherpa-onnx model directory as released, through `captions-tui transcribe --model DIR`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tui_captions.cli import main

COMMAND = [sys.executable, "-m", "tui_captions.cli", "transcribe"]


def test_a_released_directory_transcribes_in_a_real_process(
    sherpa_lstm_dir: Path, speech_wav: Path
) -> None:
    """The installed command, as a user runs it: lines with words and their times, exit 0,
    nothing on stderr but what the user asked for."""
    done = subprocess.run(
        [*COMMAND, str(speech_wav), "--model", str(sherpa_lstm_dir), "--format", "jsonl"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines and all(line["text"] for line in lines)
    starts = [line["start"] for line in lines]
    assert starts == sorted(starts) and all(line["end"] > line["start"] for line in lines)
    assert lines[0]["text"][0].isupper() and lines[0]["raw"]  # made readable, as any engine's
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--language", "fr"], "writes one language only; leave out --language"),
        (["--compute", "cuda"], "runs on the CPU only"),
        (["--hotwords", "tea"], "no bpe.vocab, which sherpa-onnx needs to spell hotwords"),
    ],
)
def test_what_a_sherpa_model_cannot_do_is_one_line_and_exit_2(
    sherpa_lstm_dir: Path,
    speech_wav: Path,
    capsys: pytest.CaptureFixture[str],
    options: list[str],
    message: str,
) -> None:
    status = main(["transcribe", str(speech_wav), "--model", str(sherpa_lstm_dir), *options])
    error = capsys.readouterr().err.strip()
    assert status == 2
    assert len(error.splitlines()) == 1
    assert message in error
