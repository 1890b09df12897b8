"""``captions-tui devices`` and ``captions-tui live`` as a user runs them, on real audio."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.pulse import NullSink, PulseServer
from tests.waiting import OutputLines

TINY_MODEL = Path(__file__).parents[1] / "fixtures" / "tiny-emformer"
CLI = [sys.executable, "-m", "tui_captions.cli"]


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "160"}  # a wide terminal: table cells stay on one line
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, timeout=timeout, check=False, env=env
    )


def test_devices_lists_the_null_sink_monitor_as_system_audio(null_sink: NullSink) -> None:
    listed = cli("devices", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [row for row in json.loads(listed.stdout) if row["pulse_source"] == null_sink.monitor]
    assert len(rows) == 1 and rows[0]["monitor"] and rows[0]["kind"] == "system audio"
    table = cli("devices")
    assert table.returncode == 0
    assert null_sink.monitor in table.stdout and "system audio" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--device", "no-such-device"], "no capture device matches 'no-such-device'"),
        (["--device", "ambiguous_"], "matches 2 capture devices"),
        (["--input", "/nonexistent/talk.wav"], "no such file"),
        (["--input", "__TEXT__"], "not an audio file"),
        (["--input", "hw:9", "--input-format", "no-such-format"], "not known to FFmpeg"),
    ],
)
def test_bad_sources_exit_2_with_one_line(
    tmp_path: Path, pulse_server: PulseServer, args: list[str], message: str
) -> None:
    for _ in range(2):
        pulse_server.add_sink("ambiguous")
    text = tmp_path / "notes.txt"
    text.write_text("not audio\n" * 50)
    result = cli("live", *[str(text) if a == "__TEXT__" else a for a in args])
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("captions-tui: error")]
    assert len(errors) == 1 and message in errors[0], result.stderr


def test_end_of_input_prints_finals_and_stats_and_exits_0(
    random_model_dir: Path, speech_wav: Path
) -> None:
    result = cli(
        "live",
        "--input",
        str(speech_wav),
        "--model",
        str(random_model_dir),
        "--format",
        "jsonl",
        "--partials",
        "--stats-every",
        "0.5",
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = {event["type"] for event in events}
    assert kinds == {"final", "partial", "stats"}
    stats = [e for e in events if e["type"] == "stats"][-1]
    assert stats["chunks"] > 10 and stats["dropped"] == 0
    assert 0 < stats["latency_ms_p50"] < 2000


def test_device_disappearing_mid_stream_exits_2(
    random_model_dir: Path, null_sink: NullSink
) -> None:
    process = subprocess.Popen(
        [*CLI, "live", "--device", null_sink.monitor, "--model", str(random_model_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_capture(process)
    null_sink.unload()
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "Traceback" not in stderr and "disappeared" in stderr


def _wait_for_capture(process: subprocess.Popen[str]) -> None:
    """Until the CLI says on stderr that it is capturing."""
    assert process.stderr is not None
    lines: list[str] = []
    while not lines or "capturing" not in lines[-1]:
        lines.append(process.stderr.readline())
        assert lines[-1], f"the CLI ended before capturing: {lines}"


@pytest.mark.skipif(not TINY_MODEL.exists(), reason="the tiny trained model is not built yet")
def test_live_captions_of_speech_played_into_the_sink(tmp_path: Path, null_sink: NullSink) -> None:
    speech = tmp_path / "speech.wav"
    text = "the dog is green and the water is black"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(speech), text], check=True)
    process = subprocess.Popen(
        [*CLI, "live", "--device", null_sink.monitor, "--model", str(TINY_MODEL)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_capture(process)
    assert process.stdout is not None and process.stderr is not None
    printed, errors = OutputLines(process.stdout), OutputLines(process.stderr)
    player = null_sink.play(speech)
    player.wait(30)
    printed.wait_for(bool, "final line after the speech (its endpoint)", 30)
    interrupted = time.monotonic()
    os.kill(process.pid, signal.SIGINT)
    process.wait(30)
    assert time.monotonic() - interrupted < 5
    stdout = printed.all(5)
    assert process.returncode == 130, errors.all(5)
    words = set(stdout.split())
    assert len(words & set(text.split())) >= 4, stdout


def test_watch_words_mark_their_lines_in_jsonl(tmp_path: Path) -> None:
    speech = tmp_path / "speech.wav"
    subprocess.run(
        ["espeak-ng", "-s", "150", "-w", str(speech), "the dog is green [[_:_:_:_:]]"], check=True
    )
    result = cli(
        "live", "--input", str(speech), "--model", str(TINY_MODEL), "--format", "jsonl",
        "--watch", "Green,purple",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    finals = [json.loads(line) for line in result.stdout.splitlines()]
    assert any(e.get("watch") == ["green"] and "green" in e["text"] for e in finals), finals
