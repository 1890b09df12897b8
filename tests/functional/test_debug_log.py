"""The log file as a user meets it: ``--debug`` or ``CAPTIONS_TUI_DEBUG=1`` on the installed
command records what ran, and a one-line error names the file when something was written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tui_captions.core.logfile import DEBUG_VARIABLE

COMMAND = [sys.executable, "-m", "tui_captions.cli"]


def captions_tui(
    state_home: Path, *args: str | Path, debug_variable: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "XDG_STATE_HOME": str(state_home)}
    env.pop(DEBUG_VARIABLE, None)
    if debug_variable is not None:
        env[DEBUG_VARIABLE] = debug_variable
    return subprocess.run(
        [*COMMAND, *map(str, args)], capture_output=True, text=True, timeout=120, env=env
    )


def log_file(state_home: Path) -> Path:
    return state_home / "captions-tui" / "captions-tui.log"


def test_debug_logs_the_worker_the_engine_and_the_session(
    tmp_path: Path, micro_model_dir: Path, speech_wav: Path
) -> None:
    source: list[str | Path] = [
        "--input",
        speech_wav,
        "--input-speed",
        "8",
        "--model",
        micro_model_dir,
    ]
    result = captions_tui(tmp_path, "--debug", "live", *source)
    assert result.returncode == 0, result.stderr
    assert "DEBUG" not in result.stderr  # the file's, not the terminal's
    log = log_file(tmp_path).read_text(encoding="utf-8")
    for event in (
        " DEBUG tui_captions.cli: captions-tui ",  # the version and the command line
        f"rnnt engine loaded from {micro_model_dir} in ",
        " DEBUG tui_captions.pipeline.session: session started: ",
        f"{speech_wav}: capture worker ",
        " started\n",
        " stopped: it exited with status 0\n",
        " DEBUG tui_captions.pipeline.session: session ended: ",
    ):
        assert event in log


def test_the_variable_asks_for_it_too_and_an_error_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.wav"
    result = captions_tui(tmp_path, "transcribe", missing, debug_variable="1")
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"captions-tui: error: {missing}")
    assert line.endswith(f" (log: {log_file(tmp_path)})")
    assert f"DEBUG tui_captions.cli: stopped: {missing}" in log_file(tmp_path).read_text()


def test_without_debug_an_error_writes_no_log_and_names_none(tmp_path: Path) -> None:
    for variable in (None, "0"):
        result = captions_tui(
            tmp_path, "transcribe", tmp_path / "missing.wav", debug_variable=variable
        )
        assert result.returncode == 2
        assert result.stderr.startswith("captions-tui: error: ") and "log" not in result.stderr
        assert not log_file(tmp_path).exists()
