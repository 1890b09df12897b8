"""However captions-tui dies, nothing it started lives on, and no capture stream stays open.

The installed command runs in a real terminal (tmux), ``live`` and the app,
on a null sink's monitor (PortAudio through PulseAudio) and on an FFmpeg
input; mid-speech it gets SIGKILL (a crash, the OOM killer), SIGTERM
(``kill``) or SIGHUP (its tmux pane is closed). Within 3 s no process of its
tree may be left, and the sound server may list no capture stream of any of
them. SIGTERM and SIGHUP must also close the session's journal, as Ctrl+C
does; SIGTERM's exit status is 143.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.audio_files import write_audio
from tests.conftest import espeak_wav, settings_home
from tests.pulse import NullSink, pactl
from tests.terminal import Terminal
from tests.waiting import journaled, wait_until
from tui_captions.audio.decode import decode_audio
from tui_captions.transcript.journal import read_journal

MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-emformer"
GONE_WITHIN_S = 3.0
SENTENCE = "the old man and the young woman walk near the river"
FIRST_WORDS = "the old man"
RATE = 16_000

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def long_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few words, then a sentence four times, with pauses: the words soon become a final
    line while the rest (5 s at 3x, 15 s as played) is still playing when the app is killed."""
    directory = tmp_path_factory.mktemp("speech")

    def spoken(name: str, text: str) -> np.ndarray:
        wav = espeak_wav(directory / f"{name}.wav", text)
        return np.concatenate(list(decode_audio(str(wav), RATE)))

    words, sentence = spoken("words", FIRST_WORDS), spoken("sentence", SENTENCE)
    pause = np.zeros(int(1.5 * RATE), dtype=np.float32)
    speech = np.concatenate([words, pause, *[sentence, pause] * 4])
    return write_audio(directory / "long.wav", speech, RATE)


def children() -> dict[int, list[int]]:
    """Parent pid -> its child pids, for every process now."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended while we looked
                continue
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def process_tree(root: int) -> set[int]:
    """``root`` and every process below it, now."""
    tree, found, todo = children(), set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo += tree.get(pid, [])
    return found


def alive(pid: int) -> bool:
    """Running or sleeping: anything but gone, or a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def capture_streams_of(pids: set[int]) -> list[str]:
    """The sound server's capture streams (source outputs) that belong to ``pids``."""
    listing = pactl("list", "source-outputs")
    return [
        block
        for block in listing.split("Source Output #")[1:]
        if any(f'application.process.id = "{pid}"' in block for pid in pids)
    ]


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "SIGHUP"])
@pytest.mark.parametrize("source", ["monitor", "ffmpeg"])
@pytest.mark.parametrize("front_end", ["live", "app"])
def test_no_process_or_capture_stream_outlives_the_app(
    tmp_path: Path,
    terminal: Terminal,
    null_sink: NullSink,
    long_speech: Path,
    front_end: str,
    source: str,
    how: str,
) -> None:
    command = [str(Path(sys.executable).parent / "captions-tui")]
    command += ["live"] if front_end == "live" else []
    command += ["--device", null_sink.monitor] if source == "monitor" else []
    # The file plays 3 times as fast as real time: what it is read with, not its pace, is
    # the subject (the sink's monitor plays at the pace of the player).
    command += ["--input", str(long_speech), "--input-speed", "3"] if source == "ffmpeg" else []
    command += ["--model", str(MODEL)]
    data = tmp_path / "data"
    env = {
        "PULSE_SERVER": os.environ["PULSE_SERVER"],
        "XDG_DATA_HOME": str(data),
        "XDG_CONFIG_HOME": settings_home(tmp_path / "config"),
        "TERM": "xterm-256color",
    }
    shell_pid = terminal.start(command, env)

    def app_pid() -> int | None:
        return next(iter(children().get(shell_pid, [])), None)

    live = "capturing" if front_end == "live" else "● live"
    terminal.wait_for(lambda screen: live in screen, "live source", 60)
    player = null_sink.play(long_speech) if source == "monitor" else None
    sessions = data / "captions-tui" / "sessions"
    # The next line is being spoken:
    wait_until(lambda: bool(journaled(sessions)), "final line in the journal", 30)
    pid = app_pid()
    assert pid is not None
    tree = process_tree(pid)
    assert len(tree) >= 3, "the app, its capture worker and multiprocessing's resource tracker"
    if source == "monitor":
        assert capture_streams_of(tree), "the app records from the monitor before it is killed"

    if how == "SIGHUP":
        terminal.tmux("kill-pane", "-t", "app")  # the terminal closes: SIGHUP
    else:
        os.kill(pid, getattr(signal, how))
    deadline = time.monotonic() + GONE_WITHIN_S
    while time.monotonic() < deadline and any(alive(p) for p in tree):
        time.sleep(0.05)
    left = sorted(p for p in tree if alive(p))
    streams = capture_streams_of(tree)
    if player is not None:
        player.kill()
        player.wait()
    assert left == [], f"{how}: processes of the app still running: {left}"
    assert streams == [], f"{how}: capture streams still open: {streams}"

    if how == "SIGTERM":
        terminal.wait_for(lambda screen: "EXIT=143" in screen, "exit status 143", 10)
    (journal,) = sessions.glob("*.jsonl")
    assert read_journal(journal).interrupted == (how == "SIGKILL"), "closed unless SIGKILL"


@pytest.mark.parametrize("front_end", ["live", "picker"])
def test_a_normal_stop_releases_the_device_at_once(
    tmp_path: Path, terminal: Terminal, null_sink: NullSink, long_speech: Path, front_end: str
) -> None:
    """Ctrl+C in ``live``, ctrl+q in the picker while its level meter listens: by the
    time the command has exited, no process of it is left and the device is free."""
    command = [str(Path(sys.executable).parent / "captions-tui")]
    command += ["live", "--device", null_sink.monitor] if front_end == "live" else []
    command += ["--model", str(MODEL)]
    env = {
        "PULSE_SERVER": os.environ["PULSE_SERVER"],
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": settings_home(tmp_path / "config"),
        "TERM": "xterm-256color",
    }
    shell_pid = terminal.start(command, env)
    if front_end == "live":
        terminal.wait_for(lambda screen: "capturing" in screen, "live source", 60)
    else:
        terminal.wait_for(lambda screen: "Type to filter" in screen, "the picker", 60)
        terminal.tmux("send-keys", "-t", "app", "-l", null_sink.monitor)  # the meter listens
    player = null_sink.play(long_speech)
    (pid,) = children()[shell_pid]
    wait_until(lambda: bool(capture_streams_of(process_tree(pid))), "capture stream", 30)
    tree = process_tree(pid)
    terminal.tmux("send-keys", "-t", "app", "C-c" if front_end == "live" else "C-q")
    status = "EXIT=130" if front_end == "live" else "EXIT=0"
    terminal.wait_for(lambda screen: status in screen, status, 10)
    streams = capture_streams_of(tree)
    # multiprocessing's resource tracker leaves a moment after the app: it waits for
    # the app's end of its pipe to close.
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and any(alive(p) for p in tree):
        time.sleep(0.05)
    left = sorted(p for p in tree if alive(p))
    player.kill()
    player.wait()
    assert streams == [], "the device is free when the command has exited"
    assert left == []
