"""Audio-visual captions as a user runs them: a talking-head clip made from a real photo and
espeak-ng speech, `transcribe` and `live --input` on it, FFmpeg's lavfi as a camera paced in
real time beside the audio, and the inputs an audio-visual model cannot use."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import numpy as np
import pytest

from tests.audio_files import write_audio
from tests.cli import run_cli
from tests.conftest import settings_home
from tests.e2e.test_nothing_outlives import GONE_WITHIN_S, alive, children, process_tree
from tests.terminal import Terminal
from tools.talking_face import make_clip

TINY = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-emformer"  # hears only
SENTENCE = "the old man and the young woman walk near the river"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def talk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clip") / "talk.mp4", SENTENCE)


def cli(capfd: pytest.CaptureFixture[str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    """The command in this process (what it prints is the subject, not the process)."""
    return run_cli(capfd, *args, "--punctuation", "none")


def one_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and message in errors[0], result.stderr


def test_transcribe_reads_the_face_and_reports_it(
    talk: Path, random_av_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    result = cli(
        capfd, "transcribe", talk, "--model", random_av_dir, "--stats", "--format", "jsonl"
    )
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stderr.strip().splitlines()[-1])
    with av.open(str(talk)) as clip:
        filmed = sum(1 for _ in clip.decode(video=0))
    # Windows past the clip's last frame have no face; the cascade finds this synthetic face
    # on about half the frames it tries, and a found box is kept until the next try.
    assert stats["frames"] == 32 * stats["chunks"] >= filmed
    assert 0.6 * filmed < stats["faces"] <= filmed
    assert stats["rtf"] > 0 and result.stdout.strip()  # the random model writes something
    blind = cli(
        capfd, "transcribe", talk, "--model", random_av_dir, "--video", "off", "--format", "jsonl"
    )
    assert blind.returncode == 0 and blind.stdout != result.stdout  # the video reaches it


def test_live_input_reports_faces_per_window(
    talk: Path, random_av_dir: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    result = cli(capfd, "live", "--input", talk, "--model", random_av_dir, "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    faces = [e["faces"] for e in events if e["type"] == "faces"]
    assert len(faces) >= 3 and max(faces) == 32
    assert "video h264" in result.stderr


def test_lavfi_as_a_camera_beside_the_audio(
    talk: Path, random_av_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A camera paced in real time (FFmpeg's lavfi playing the clip's video) beside the clip's
    audio, through the real capture worker: the windows carry the face."""
    audio = write_audio(tmp_path / "sound.wav", _sound(talk), 16_000)
    result = cli(
        capfd, "live", "--input", audio, "--camera", f"movie={talk},realtime", "--camera-format",
        "lavfi", "--model", random_av_dir, "--format", "jsonl",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    faces = [json.loads(line).get("faces", 0) for line in result.stdout.splitlines()]
    assert max(faces) >= 24, result.stdout


def _sound(clip: Path) -> np.ndarray:
    from tui_captions.audio.decode import decode_audio

    return np.concatenate(list(decode_audio(str(clip), 16_000)))


def test_inputs_an_audio_visual_model_cannot_use(
    talk: Path,
    random_av_dir: Path,
    speech_wav: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    silent = tmp_path / "silent.mp4"  # a video without sound
    with av.open(str(talk)) as source, av.open(str(silent), "w") as target:
        stream = target.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for frame in source.decode(video=0):
            target.mux(stream.encode(frame.reformat(width=64, height=64)))
        target.mux(stream.encode(None))
    one_error(cli(capfd, "transcribe", silent, "--model", random_av_dir), "a video without sound")
    one_error(cli(capfd, "transcribe", speech_wav, "--model", random_av_dir), "has no video")
    one_error(
        cli(capfd, "live", "--input", talk, "--camera", "/dev/video9", "--model", random_av_dir),
        "the camera cannot be opened",
    )
    one_error(
        cli(
            capfd,
            "live",
            "--input",
            speech_wav,
            "--camera",
            f"movie={talk}",
            "--camera-format",
            "lavfi",
            "--model",
            TINY,
        ),
        "--camera needs an audio-visual model",
    )


def test_a_camera_that_stops_ends_the_source_in_one_line(
    talk: Path, random_av_dir: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The camera (lavfi: the clip) ends while the audio (three times as long) goes on: as a
    camera unplugged mid-session."""
    sound = _sound(talk)
    audio = write_audio(tmp_path / "long.wav", np.concatenate([sound] * 3), 16_000)
    result = cli(
        capfd, "live", "--input", audio, "--camera", f"movie={talk},realtime", "--camera-format",
        "lavfi", "--model", random_av_dir,
    )  # fmt: skip
    one_error(result, "the camera stopped sending frames")


def start_in_terminal(terminal: Terminal, tmp_path: Path, command: list[str]) -> int:
    """The command in a tmux pane with private data and settings; its shell's pid."""
    env = {
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": settings_home(tmp_path / "config"),
        "TERM": "xterm-256color",
    }
    return terminal.start(command, env)


def test_the_app_shows_the_crop_the_model_sees(
    talk: Path, random_av_dir: Path, tmp_path: Path, terminal: Terminal
) -> None:
    app = str(Path(sys.executable).parent / "captions-tui")
    start_in_terminal(
        terminal, tmp_path,
        [app, "--input", str(talk), "--model", str(random_av_dir), "--punctuation", "none"],
    )  # fmt: skip
    terminal.wait_for(lambda s: "faces 32/32" in s, "the camera pane's face count", 60)
    screen = terminal.screen()
    assert "Camera" in screen and "\u2580" * 10 in screen
    assert "av-rnnt" in screen  # the session bar names the engine
    terminal.tmux("send-keys", "-t", "app", "q")
    terminal.wait_for(lambda s: "EXIT=0" in s, "a clean exit", 30)


@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM"])
def test_the_camera_dies_with_the_app(
    talk: Path, random_av_dir: Path, tmp_path: Path, terminal: Terminal, how: str
) -> None:
    """The camera is read in the capture worker, which dies with the app however it dies: the
    camera is never left open (here lavfi stands in for it)."""
    sound = write_audio(tmp_path / "long.wav", np.concatenate([_sound(talk)] * 4), 16_000)
    shell_pid = start_in_terminal(
        terminal, tmp_path,
        [str(Path(sys.executable).parent / "captions-tui"), "live", "--input", str(sound),
         "--camera", f"movie={talk},loop=0,realtime", "--camera-format", "lavfi",
         "--model", str(random_av_dir), "--punctuation", "none"],
    )  # fmt: skip
    terminal.wait_for(lambda s: "video lavfi" in s, "the camera open", 60)
    (pid,) = children()[shell_pid]
    tree = process_tree(pid)
    assert len(tree) >= 3, "live, its capture worker and the resource tracker"
    os.kill(pid, getattr(signal, how))
    deadline = time.monotonic() + GONE_WITHIN_S
    while time.monotonic() < deadline and any(alive(p) for p in tree):
        time.sleep(0.05)
    assert [p for p in tree if alive(p)] == []
