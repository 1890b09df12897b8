"""Hotwords as a user gives them: the words the tiny model gets wrong come out right, through
`captions-tui transcribe` on espeak-ng speech; bad hotwords are one line (bench.hotwords has
the full figures); a stop signal ends a long build of the hotwords' graph within 2 s."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.hotwords import SEED, random_phrases
from tests.cli import one_error_line, run_cli
from tools.tiny_model.data import make_utterances, write_clip
from tui_captions.text.names import NO_MODEL

MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-emformer"
CTC_MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-ctc"
CLI = [sys.executable, "-m", "tui_captions.cli"]
# Among the words the tiny model recognises worst (bench.hotwords picks them the same way).
HARD = ("city", "fresh", "star")
# Imports and the tiny model take under 3 s of CPU; the graph of HUGE phrases takes seconds more.
BUILDING_CPU_S = 4.0
HUGE = 200_000
STOPPED_WITHIN_S = 2.0

pytestmark = pytest.mark.slow


def transcribe(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, "transcribe", *map(str, args), "--punctuation", NO_MODEL],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def hard_speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Held-out sentences (several voices) that say one of the hard words."""
    chosen = [u for u in make_utterances(400, seed=SEED) if set(u.text.split()) & set(HARD)][:8]
    folder = tmp_path_factory.mktemp("hotwords")
    write_clip(chosen, folder / "hard.flac", folder / "hard.txt")
    return folder / "hard.flac", [u.text for u in chosen]


def recall(texts: list[str], output: str) -> float:
    """Of the times a hard word was said, how many it was written (counted word by word)."""
    said = " ".join(texts).split()
    written = output.lower().split()
    return sum(min(said.count(w), written.count(w)) for w in HARD) / sum(map(said.count, HARD))


def test_hotwords_raise_the_recall_of_the_words_the_model_gets_wrong(
    hard_speech: tuple[Path, list[str]],
) -> None:
    clip, texts = hard_speech
    plain = transcribe(clip, "--model", MODEL, "--raw")
    biased = transcribe(
        clip, "--model", MODEL, "--raw", "--hotwords", ",".join(HARD), "--hotword-score", "0.5"
    )
    assert plain.returncode == biased.returncode == 0, plain.stderr + biased.stderr
    before, after = recall(texts, plain.stdout), recall(texts, biased.stdout)
    assert after - before >= 0.3, (before, after, plain.stdout, biased.stdout)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--hotwords-file", "EMPTY"], "the hotwords file has no phrase"),
        (["--hotwords-file", "MISSING"], "the hotwords file cannot be read"),
        (["--hotwords", "caf\u00e9 \u00fcber"], "this model cannot write it"),
        (["--hotwords", "budget :lots"], "is not a score"),
        (["--model", "CTC", "--hotwords", "city"], "hotwords need the RNN-T engine"),
    ],
)
def test_bad_hotwords_are_one_line_and_exit_2(
    args: list[str],
    message: str,
    speech_wav: Path,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / "empty.txt").write_text("# nothing yet\n\n")
    swap = {"EMPTY": tmp_path / "empty.txt", "MISSING": tmp_path / "no.txt", "CTC": CTC_MODEL}
    options = [str(swap.get(a, a)) for a in args]
    model = [] if "--model" in options else ["--model", str(MODEL)]
    refused = run_cli(capfd, "transcribe", speech_wav, *model, *options, "--punctuation", NO_MODEL)
    assert message in one_error_line(refused)


@pytest.fixture(scope="module")
def huge_list(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("huge") / "hotwords.txt"
    path.write_text("".join(line + "\n" for line in random_phrases(HUGE)))
    return path


def cpu_seconds(pid: int) -> float:
    """The CPU time a running process has used (user and system, /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_a_stop_signal_ends_a_long_hotword_build_within_2_s(
    signum: int, huge_list: Path, speech_wav: Path
) -> None:
    """Ctrl+C, ``kill`` and a closed terminal while the graph of a huge list is built: the
    process is gone within 2 s, with the signal's exit status and no traceback."""
    options = ["--raw", "--punctuation", NO_MODEL, "--hotwords-file", str(huge_list)]
    process = subprocess.Popen(
        [*CLI, "transcribe", str(speech_wav), "--model", str(MODEL), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while process.poll() is None and cpu_seconds(process.pid) < BUILDING_CPU_S:
        assert time.monotonic() < deadline, "the process never got busy"
        time.sleep(0.05)
    assert process.poll() is None, "the list should take longer than this to build"
    sent = time.monotonic()
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    took = time.monotonic() - sent
    assert process.returncode == 128 + signum and "Traceback" not in stderr, stderr
    assert took <= STOPPED_WITHIN_S, took
