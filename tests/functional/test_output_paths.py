"""Output paths that cannot be written: one line naming the path, exit 2, no half-written file.

``transcribe -o`` and ``export -o`` as a user gives them (run in the test's
process, on real file systems): a missing folder, a folder that refuses files (/proc, /sys),
a folder given as the file, and a really full disk (a 16 kB tmpfs, where the
test may mount one). A file that was there before stays as it was.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.cli import one_error_line, run_cli
from tui_captions.core.segments import Segment
from tui_captions.transcript.journal import SessionJournal, sessions_dir

MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-emformer"


def refused(result: subprocess.CompletedProcess[str], path: Path, advice: str) -> None:
    line = one_error_line(result)
    assert line.startswith("captions-tui: error: cannot write"), line
    assert str(path) in line and advice in line, line


@pytest.fixture(scope="module")
def saved_session() -> str:
    journal = SessionJournal.create("mic", "demo-tiny", directory=sessions_dir())
    for n in range(40):
        journal.append(Segment(n, n, n + 0.8, f"line number {n} of a saved session"))
    journal.close({"chunks": 250})
    return journal.id


def command(name: str, speech_wav: Path, session: str) -> list[str | Path]:
    if name == "transcribe":
        return ["transcribe", speech_wav, "--model", MODEL, "--format", "srt"]
    return ["export", session, "--format", "srt"]


COMMANDS = ("transcribe", "export")


@pytest.mark.parametrize("name", COMMANDS)
@pytest.mark.parametrize(
    ("where", "advice"),
    [
        ("/proc/x.srt", "a file cannot be created in /proc"),  # the traceback
        ("/sys/x.srt", "the folder /sys cannot be written to"),
        ("MISSING/x.srt", "does not exist: create it or choose another"),
        ("FOLDER", "is a folder: give a file name in it"),
    ],
)
def test_unwritable_output_paths_are_refused_in_one_line(
    name: str,
    where: str,
    advice: str,
    speech_wav: Path,
    saved_session: str,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    path = Path(
        where.replace("MISSING", str(tmp_path / "missing")).replace("FOLDER", str(tmp_path))
    )
    refused(run_cli(capfd, *command(name, speech_wav, saved_session), "-o", path), path, advice)


@pytest.mark.parametrize("name", COMMANDS)
def test_a_full_disk_leaves_the_old_file_as_it_was(
    name: str,
    speech_wav: Path,
    saved_session: str,
    tiny_fs: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    target = tiny_fs / "talk.srt"
    target.write_text("an older transcript\n")
    filler = tiny_fs / "filler"
    with filler.open("wb", buffering=0) as fill, pytest.raises(OSError, match="No space"):
        while True:
            fill.write(b"x" * 512)
    refused(
        run_cli(capfd, *command(name, speech_wav, saved_session), "-o", target),
        target,
        "disk is full",
    )
    assert target.read_text() == "an older transcript\n"
    assert sorted(p.name for p in tiny_fs.iterdir()) == ["filler", "talk.srt"]  # no leftovers
    filler.unlink()  # room again: the same command now writes the whole file
    written = run_cli(capfd, *command(name, speech_wav, saved_session), "-o", target)
    assert written.returncode == 0, written.stderr
    assert target.read_text().startswith("1\n00:00:0")
