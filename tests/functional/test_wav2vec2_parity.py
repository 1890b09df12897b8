"""The wav2vec2 engine against seeds 002/003's pipeline, and through the commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from bench.reference_pipeline import reference_ctc_transcript
from tests.cli import one_error_line, run_cli
from tools.random_wav2vec2 import make_random_wav2vec2
from tui_captions.asr.engine import DecodeOptions, RunOptions
from tui_captions.asr.wav2vec2.engine import load_wav2vec2
from tui_captions.audio.decode import decode_audio
from tui_captions.core.segments import Segment


@pytest.fixture(scope="module")
def short_hop_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 s windows sliding by 0.5 s: a 1.5 s clip is three chunks, all inside one window."""
    directory = tmp_path_factory.mktemp("models") / "wav2vec2-hop"
    make_random_wav2vec2(
        directory, "small", 1.0, seed=2, window_seconds=2.0, hop_seconds=0.5, margin_seconds=0.5
    )
    return directory


@pytest.mark.parametrize("quantize", ["none", "int8"])
def test_a_clip_within_one_window_reads_as_the_seed_pipeline_reads_it(
    short_hop_model: Path, speech_wav: Path, quantize: str
) -> None:
    engine = load_wav2vec2(short_hop_model, RunOptions(1, quantize, "cpu"))  # type: ignore[arg-type]
    speech = np.concatenate(list(decode_audio(str(speech_wav), 16000)))
    clip = speech[: 3 * engine.format.chunk_samples].astype(np.float32)
    stream = engine.create_stream(DecodeOptions(endpoint_silence_s=60.0))
    finals: list[Segment] = []
    for start in range(0, len(clip), engine.format.chunk_samples):
        step = stream.accept(clip[start : start + engine.format.chunk_samples])
        assert step.finals == ()  # nothing is final before the first window is full
        finals += step.finals
    finals += stream.finish()
    ours = " ".join(segment.text for segment in finals)
    config = engine.config
    seed = reference_ctc_transcript(
        engine.model, config.labels, config.blank, torch.from_numpy(clip)
    )
    assert ours == " ".join(seed.split())
    assert len(ours) > 20  # the random model does spell something


def test_transcribe_and_export_with_a_ctc_model_directory(
    wav2vec2_model_dir: Path, speech_wav: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """The commands do not know which engine they drive: same output formats, same stats."""
    out = run_cli(
        capfd, "transcribe", speech_wav, "--model", wav2vec2_model_dir, "--format", "jsonl",
        "--stats",
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    events = [json.loads(line) for line in out.stdout.splitlines()]
    assert events and all(e["text"] and 0 <= e["start"] < e["end"] for e in events)
    stats = json.loads(out.stderr.strip().splitlines()[-1])
    assert stats["chunks"] >= 2 and stats["rtf"] > 0


def test_the_emformer_refuses_ctc_decoder_options(
    micro_model_dir: Path, speech_wav: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    refused = run_cli(
        capfd, "transcribe", speech_wav, "--model", micro_model_dir, "--decoder", "greedy"
    )
    assert "--decoder and --lm choose a CTC model's decoder" in one_error_line(refused)
