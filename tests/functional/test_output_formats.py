"""Which format a command writes: one table of names for every command, ``-o``'s suffix when
``--format`` is not given, one line and exit 2 when they disagree; and no command writes
over a session's journal."""

from __future__ import annotations

import html
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import srt
import webvtt

from tui_captions.cli import build_parser, main
from tui_captions.commands.setup import output_format
from tui_captions.core.segments import Segment
from tui_captions.errors import UserError
from tui_captions.transcript.formats import FORMATS, REGISTRY, STREAM_FORMATS, TranscriptFormat
from tui_captions.transcript.journal import SessionJournal, read_journal
from tui_captions.transcript.output import check_output

CLI = [sys.executable, "-m", "tui_captions.cli"]
WRITES = {"transcribe": STREAM_FORMATS, "live": STREAM_FORMATS, "export": FORMATS}
SOURCE = {"transcribe": ["talk.wav"], "live": ["--input", "talk.wav"], "export": ["last"]}


@pytest.fixture
def journal(tmp_path: Path) -> SessionJournal:
    journal = SessionJournal.create("talk.wav", "demo-tiny", directory=tmp_path / "sessions")
    journal.append(Segment(0, 0.5, 2.0, "hello there", display="Hello there."))
    journal.append(Segment(1, 3.0, 4.5, "fish and chips", display="Fish & chips."))
    journal.close({"chunks": 30})
    return journal


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("captions-tui: error: "), lines
    return lines[0]


@pytest.mark.parametrize("command", WRITES)
def test_every_command_takes_every_name_of_a_format(command: str) -> None:
    """``transcribe`` turned down ``txt``, and ``export`` turned down ``text``."""
    writes = WRITES[command]
    for spec in REGISTRY:
        for name in (*spec.names, spec.name.upper()):
            args = build_parser().parse_args([command, *SOURCE[command], "--format", name])
            if spec.name in writes:
                assert output_format(args, command, writes) == spec.name
            else:  # json: the document of a saved session
                with pytest.raises(UserError, match=f"`{command}` writes .*, not {spec.name};"):
                    output_format(args, command, writes)


@pytest.mark.parametrize("spec", REGISTRY, ids=lambda spec: spec.name)
@pytest.mark.parametrize("command", ["transcribe", "export"])
def test_the_output_suffix_names_the_format(command: str, spec: TranscriptFormat) -> None:
    """``transcribe -o talk.srt`` wrote plain text into talk.srt."""
    for name in (f"talk.{spec.suffix}", f"TALK.{spec.suffix.upper()}"):
        args = build_parser().parse_args([command, *SOURCE[command], "-o", name])
        if spec.name in WRITES[command]:
            assert output_format(args, command, WRITES[command]) == spec.name
        else:
            with pytest.raises(UserError, match=f"not {spec.name}"):
                output_format(args, command, WRITES[command])
    other = build_parser().parse_args([command, *SOURCE[command], "-o", "talk.log"])
    assert output_format(other, command, WRITES[command]) == "text"


def test_a_format_the_file_name_contradicts_is_one_line_and_exit_2(
    journal: SessionJournal, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "talk.srt"
    assert main(["transcribe", "talk.wav", "--format", "vtt", "-o", str(target)]) == 2
    assert "--format vtt contradicts the file name" in one_line(capsys)
    assert main(["export", str(journal.path), "--format", "txt", "-o", str(target)]) == 2
    assert f"{target}, which says srt: leave out --format" in one_line(capsys)
    assert not target.exists()
    assert main(["export", str(journal.path), "--format", "subrip", "-o", str(target)]) == 0


def test_export_writes_the_format_the_suffix_names(journal: SessionJournal, tmp_path: Path) -> None:
    def export(suffix: str) -> str:
        out = tmp_path / f"talk.{suffix}"
        assert main(["export", str(journal.path), "-o", str(out)]) == 0
        return out.read_text()

    assert export("txt") == "Hello there.\nFish & chips.\n"
    assert [json.loads(line)["text"] for line in export("jsonl").splitlines()] == [
        "Hello there.",
        "Fish & chips.",
    ]
    assert [c.content for c in srt.parse(export("srt"))] == ["Hello there.", "Fish & chips."]
    export("vtt")
    vtt = webvtt.read(str(tmp_path / "talk.vtt")).captions
    assert [c.text for c in vtt] == ["Hello there.", "Fish &amp; chips."]
    assert json.loads(export("json"))["session"]["id"] == journal.id


def test_no_command_writes_over_a_journal(
    journal: SessionJournal,
    speech_wav: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``export -o`` naming the session's own journal replaced the session with its text."""
    kept = journal.path.read_bytes()
    other = SessionJournal.create("mic", "demo-tiny", directory=tmp_path / "sessions")
    for command in (
        ["export", str(journal.path), "-o", str(journal.path)],
        ["export", str(journal.path), "-o", str(other.path)],
        ["transcribe", str(speech_wav), "--format", "jsonl", "-o", str(journal.path)],
    ):
        assert main(command) == 2
        assert "it is the journal of session" in one_line(capsys)
    assert journal.path.read_bytes() == kept
    assert other.path.read_text().startswith('{"type": "session"')


def test_live_writes_subtitles_up_to_the_last_cue(
    micro_model_dir: Path, speech_wav: Path, tmp_path: Path
) -> None:
    """``live`` printed text or jsonl only; a cue waits for the next one's start (how long
    it may stay up), so the last one is written when the input ends."""
    command = ["live", "--input", speech_wav, "--input-speed", "8", "--model", micro_model_dir]
    result = subprocess.run(
        [*CLI, *map(str, command), "--format", "webvtt"],
        env={**os.environ, "XDG_DATA_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    (journal,) = (tmp_path / "captions-tui" / "sessions").glob("*.jsonl")
    said = " ".join(segment.shown() for segment in read_journal(journal).segments).split()
    captions = webvtt.from_string(result.stdout).captions
    assert said and " ".join(html.unescape(c.text) for c in captions).split() == said


def test_a_pipe_as_the_output_is_not_read_for_a_journal_header(tmp_path: Path) -> None:
    """Looking for a journal's header in a FIFO (or /dev/stdout) waited for a writer forever."""
    fifo = tmp_path / "captions.fifo"
    os.mkfifo(fifo)
    checked = threading.Thread(target=check_output, args=(fifo,), daemon=True)
    checked.start()
    checked.join(5)
    assert not checked.is_alive(), "check_output blocked on a pipe"
