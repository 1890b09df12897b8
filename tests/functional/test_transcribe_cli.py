"""`captions-tui transcribe` as a user runs it: the installed command on real files."""

from __future__ import annotations

import html
import json
import math
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import av
import numpy as np
import pytest
import srt
import webvtt
from av.subtitles.subtitle import AssSubtitle

from tests.audio_files import read_audio, write_audio
from tests.cli import one_error_line, run_cli
from tui_captions.asr.defaults import DEFAULT_QUANTIZE
from tui_captions.text.names import BUNDLED

COMMAND = [sys.executable, "-m", "tui_captions.cli"]


def torch_sees_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


def transcribe(*args: str | Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, "transcribe", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def speech_files(speech_wav: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same speech as 44.1 kHz stereo WAV, FLAC and MP3."""
    folder = tmp_path_factory.mktemp("speech")
    samples = read_audio(speech_wav, 44100)
    return {
        ext: write_audio(folder / f"speech.{ext}", samples, 44100, 2)
        for ext in ("wav", "flac", "mp3")
    }


def test_formats_and_stats(
    micro_model_dir: Path,
    speech_files: dict[str, Path],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    jsonl = transcribe(  # the installed command, as a user runs it
        speech_files["wav"], "--model", micro_model_dir, "--format", "jsonl", "--stats"
    )
    assert jsonl.returncode == 0, jsonl.stderr
    events = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert events and all(e["type"] == "final" and e["text"] for e in events)
    assert all(0 <= e["start"] < e["end"] for e in events)
    stats = json.loads(jsonl.stderr.strip().splitlines()[-1])
    assert set(stats) == {
        "compute", "quantize", "chunks", "audio_s", "compute_ms_p50", "compute_ms_p95",
        "compute_ms_max", "rtf", "first_minute_ms_p50", "last_minute_ms_p50",
    }  # fmt: skip
    assert (stats["compute"], stats["quantize"]) == ("cpu", DEFAULT_QUANTIZE)
    duration = read_audio(speech_files["wav"], 16000).size / 16000
    assert stats["chunks"] == math.ceil(duration / 0.16)
    assert stats["compute_ms_p50"] <= stats["compute_ms_p95"] <= stats["compute_ms_max"]

    # The other formats of the same run, in this process (torch is loaded already).
    text = run_cli(capfd, "transcribe", speech_files["wav"], "--model", micro_model_dir).stdout
    assert text.splitlines() == [e["text"] for e in events]

    # Subtitles: the format from -o's suffix (it wrote plain text into talk.srt), read by
    # FFmpeg, srt and webvtt-py: every word in order, each cue on its segment's speech.
    for suffix in ("srt", "vtt"):
        path = tmp_path / f"talk.{suffix}"
        done = run_cli(
            capfd, "transcribe", speech_files["wav"], "--model", micro_model_dir, "-o", path
        )
        assert done.returncode == 0, done.stderr
        cues = subtitles(path)
        assert cues == ffmpeg_cues(path)
        words = " ".join(text for _, _, text in cues).split()
        assert words == " ".join(e["text"] for e in events).split()
        for start, end, _ in cues:
            assert any(e["start"] <= start < e["end"] for e in events), (start, events)
            assert end - start <= 7.0


def subtitles(path: Path) -> list[tuple[float, float, str]]:
    """Each cue's times and words, as ``srt`` or webvtt-py reads the file."""
    if path.suffix == ".srt":
        cues = srt.parse(path.read_text(), ignore_errors=False)
        return [(c.start.total_seconds(), c.end.total_seconds(), c.content) for c in cues]
    return [
        (c.start_in_seconds + int(c.start[-3:]) / 1000, c.end_in_seconds + int(c.end[-3:]) / 1000,
         html.unescape(c.text))
        for c in webvtt.read(str(path)).captions
    ]  # fmt: skip


def ffmpeg_cues(path: Path) -> list[tuple[float, float, str]]:
    """The same, as FFmpeg reads it (through PyAV): the file is a subtitle stream to it."""
    cues = []
    with av.open(str(path)) as container:
        stream = container.streams.subtitles[0]
        assert stream.time_base is not None
        for packet in container.demux(stream):
            if packet.pts is None or packet.duration is None:  # the flush packet
                continue
            start, end = packet.pts * stream.time_base, packet.pts + packet.duration
            texts = [s.dialogue.decode() for s in packet.decode() if isinstance(s, AssSubtitle)]
            cues.append((float(start), float(end * stream.time_base), "".join(texts)))
    return cues


def test_quantize_from_settings_file_and_command_line(
    micro_model_dir: Path,
    speech_wav: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """The settings file's ``quantize`` applies to every command; the option wins over it."""
    settings = tmp_path / "captions-tui" / "settings.toml"
    settings.parent.mkdir()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))

    def used(*options: str) -> tuple[str, str]:
        # The file below may be ignored: no download for the punctuation.
        done = run_cli(
            capfd, "transcribe", speech_wav, "--model", micro_model_dir,
            "--punctuation", BUNDLED, "--stats", *options,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        *warnings, stats = done.stderr.strip().splitlines()
        return json.loads(stats)["quantize"], "\n".join(warnings)

    for mode, other in (("int8", "none"), ("none", "int8")):
        settings.write_text(f'quantize = "{mode}"\n')
        assert used() == (mode, "")
        assert used("--quantize", other) == (other, "")
    settings.write_text('quantize = "int4"\n')
    mode, warning = used()
    assert mode == DEFAULT_QUANTIZE
    assert warning.startswith("captions-tui: warning: settings file ") and "'quantize'" in warning


def test_wav_flac_and_mp3_decode_alike(
    micro_model_dir: Path,
    speech_files: dict[str, Path],
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    outputs = {}
    for ext, path in speech_files.items():
        out = tmp_path / f"{ext}.txt"
        done = run_cli(capfd, "transcribe", path, "--model", micro_model_dir, "-o", out)
        assert done.returncode == 0, done.stderr
        assert done.stdout == ""
        outputs[ext] = out.read_text()
    assert outputs["flac"] == outputs["wav"]  # lossless: the very same samples
    assert outputs["mp3"].strip()


def test_bad_input_gets_one_line_and_exit_2(
    micro_model_dir: Path, speech_wav: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    def user_error(*args: str | Path) -> str:
        return one_error_line(run_cli(capfd, "transcribe", *args))

    not_audio = tmp_path / "notes.txt"
    not_audio.write_text("these are not the sounds you are looking for\n" * 50)
    assert "no such file" in user_error(tmp_path / "missing.wav", "--model", micro_model_dir)
    assert "not an audio file" in user_error(not_audio, "--model", micro_model_dir)
    # The input is checked first (it is quick), then the model.
    missing_model = user_error(speech_wav, "--model", tmp_path / "no-model")
    assert "not a model directory" in missing_model


def test_ctrl_c_stops_cleanly_and_prints_what_it_has(
    random_model_dir: Path, speech_wav: Path, tmp_path: Path
) -> None:
    speech = read_audio(speech_wav, 16000)
    # ~17 minutes of audio: the small model decodes ~160 s of it in under 3 s.
    long_file = write_audio(tmp_path / "long.wav", np.tile(speech, 300), 16000)
    process = subprocess.Popen(
        [*COMMAND, "transcribe", str(long_file), "--model", str(random_model_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # the model is loaded and decoding: a line is out
    assert first.strip(), "each line is printed as it becomes final"
    assert process.poll() is None, "the file should take longer than this to transcribe"
    os.kill(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in stderr


def test_a_reader_that_goes_away_is_no_error(micro_model_dir: Path, speech_wav: Path) -> None:
    process = subprocess.Popen(
        [*COMMAND, "transcribe", str(speech_wav), "--model", str(micro_model_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head` exiting before the first line
    stderr = process.stderr.read()
    assert process.wait(timeout=60) == 141
    assert stderr == ""


@pytest.mark.skipif(torch_sees_cuda(), reason="this machine has a CUDA device")
def test_compute_cuda_without_a_gpu_is_one_clear_line(
    micro_model_dir: Path, speech_wav: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    message = one_error_line(
        run_cli(capfd, "transcribe", speech_wav, "--model", micro_model_dir, "--compute", "cuda")
    )
    assert "--compute cuda" in message and "--compute cpu" in message


DEMO_CLIP = Path(__file__).resolve().parents[2] / "tui_captions" / "demo" / "demo_speech.flac"
TINY_MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "tiny-emformer"


def test_the_demo_clip_reads_as_punctuated_sentences() -> None:
    """The demo speaks sentences made of the tiny model's words, so the punctuation it shows
    has sentences to mark (a random word list read "Learn forest spring, Bus careful.")."""
    from tools.tiny_model.evaluate import word_errors

    result = transcribe(DEMO_CLIP, "--model", "demo-tiny", "--punctuation", BUNDLED)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    script = DEMO_CLIP.with_suffix(".txt").read_text().splitlines()
    heard = re.sub(r"[^a-z ]", "", result.stdout.lower().replace("\n", " "))
    assert word_errors(" ".join(script), heard) <= 0.1 * len(" ".join(script).split()), lines
    assert len(lines) == len(script), lines  # a line a sentence
    assert all(re.fullmatch(r"[A-Z][A-Za-z ,]*[a-z][.?]", line) for line in lines), lines
    assert {line[-1] for line in lines} == {".", "?"} and any("," in line for line in lines)


def test_endpoint_options_end_lines_where_they_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    """The demo clip: eight sentences with 0.9 s pauses, through the tiny trained model."""

    def segments(*options: str) -> list[dict[str, float]]:
        done = run_cli(
            capfd, "transcribe", DEMO_CLIP, "--model", TINY_MODEL, "--format", "jsonl", *options
        )
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    default = segments()
    assert 6 <= len(default) <= 10  # about a line a sentence
    assert len(segments("--endpoint-silence", "2")) < len(default)  # pauses no longer end lines
    short = segments("--max-segment", "1")
    assert len(short) > len(default)
    # A line ends at the first new word past the limit, and a pause ends it anyway.
    assert all(s["end"] - s["start"] <= 1.0 + 0.8 for s in short)
    settings = tmp_path / "captions-tui" / "settings.toml"
    settings.parent.mkdir()
    settings.write_text(f'endpoint_silence = 2.0\npunctuation = "{BUNDLED}"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert len(segments()) == len(segments("--endpoint-silence", "2"))
    refused = run_cli(
        capfd, "transcribe", DEMO_CLIP, "--model", TINY_MODEL, "--endpoint-silence", "0"
    )
    assert refused.returncode == 2
    assert "--endpoint-silence: must be a finite number more than 0" in refused.stderr
