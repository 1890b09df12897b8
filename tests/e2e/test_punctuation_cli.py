"""Readable captions as a user gets them: `punctuate`, `transcribe`, `live` and `export`, with
the bundled punctuation model (the tests' settings name it); `punctuate` and `export` in real
processes (stdin, and no torch), the others in the test's own."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli import run_cli
from tui_captions.core.segments import Segment
from tui_captions.transcript.journal import SessionJournal, sessions_dir

MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-emformer"
CLI = [sys.executable, "-m", "tui_captions.cli"]
MARKS = re.compile(r"[,.?!;:]")

pytestmark = pytest.mark.slow


def cli(*args: str | Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [*CLI, *map(str, args)], input=stdin, capture_output=True, timeout=120, check=False
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def words(text: str) -> list[str]:
    return MARKS.sub("", text).lower().split()


def test_punctuate_changes_case_and_marks_never_the_words(tmp_path: Path) -> None:
    lines = [
        "where are you going tonight i thought you were staying home with the children",
        "",
        "HELLO, World! the council met at dawn; nobody spoke: the king was dead",
    ]
    path = tmp_path / "notes.txt"
    path.write_text("\n".join(lines) + "\n")
    result = cli("punctuate", path)
    assert result.returncode == 0, result.stderr
    out = result.stdout.splitlines()
    assert len(out) == len(lines) and out[1] == ""
    assert [words(line) for line in out] == [words(line) for line in lines]
    assert out[0][0].isupper() and MARKS.search(out[0])  # punctuated, capitalised
    piped = cli("punctuate", stdin=path.read_bytes())
    assert piped.returncode == 0 and piped.stdout == result.stdout


def test_punctuate_refuses_binary_input_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" * 20)
    result = cli("punctuate", path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"captions-tui: error: {path}: not text (binary data at byte 0); give UTF-8 text, "
        "one paragraph a line"
    ]


def test_transcribe_and_live_write_readable_lines_and_raw_keeps_the_words(
    speech_wav: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    readable = run_cli(capfd, "transcribe", speech_wav, "--model", MODEL, "--format", "jsonl")
    assert readable.returncode == 0, readable.stderr
    events = [json.loads(line) for line in readable.stdout.splitlines()]
    assert events and all(e["text"][0].isupper() for e in events)
    assert all(words(e["text"]) == e.get("raw", e["text"]).split() for e in events)
    raw = run_cli(capfd, "transcribe", speech_wav, "--model", MODEL, "--raw")
    assert raw.stdout.split() == " ".join(e.get("raw", e["text"]) for e in events).split()
    live = run_cli(
        capfd,
        "live",
        "--input",
        speech_wav,
        "--input-speed",
        "8",
        "--model",
        MODEL,
        "--format",
        "jsonl",
    )
    assert live.returncode == 0, live.stderr
    finals = [json.loads(line) for line in live.stdout.splitlines()]
    assert [e["text"] for e in finals] == [e["text"] for e in events]


def test_a_broken_punctuation_model_is_one_warning_and_captions_go_on(
    speech_wav: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "model.onnx").write_bytes(b"not a model")
    (tmp_path / "bpe.vocab").write_text("<unk>\t0\n<s>\t0\n</s>\t0\n\u2581a\t-1\n")
    result = run_cli(capfd, "transcribe", speech_wav, "--model", MODEL, "--punctuation", tmp_path)
    assert result.returncode == 0 and result.stdout.strip()
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 1 and warnings[0].startswith(
        "captions-tui: warning: punctuation is off"
    )
    assert all(line[0].isupper() for line in result.stdout.splitlines())  # sentence case


def test_export_redoes_an_old_session_with_punctuate() -> None:
    journal = SessionJournal.create("talk.wav", "demo-tiny", directory=sessions_dir())
    said = ["what do you think of the plan", "i think we should go now"]
    for index, text in enumerate(said):  # journaled without a readable form, as before
        journal.append(Segment(index, 2.0 * index, 2.0 * index + 1.5, text))
    journal.close({})
    rules = cli("export", journal.id, "--format", "txt")
    assert rules.stdout.splitlines() == [
        "What do you think of the plan",
        "I think we should go now",
    ]
    redone = cli("export", journal.id, "--format", "txt", "--punctuate")
    assert redone.returncode == 0, redone.stderr
    lines = redone.stdout.splitlines()
    assert [words(line) for line in lines] == [line.split() for line in said]
    assert any(MARKS.search(line) for line in lines)
    raw = cli("export", journal.id, "--format", "txt", "--raw")
    assert raw.stdout.splitlines() == said
