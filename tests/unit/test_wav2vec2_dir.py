"""wav2vec2 CTC model directories: read back as written, every broken field named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from tests.model_dirs import copy_model, edit_config
from tui_captions.asr.catalog import WAV2VEC2_LIBRISPEECH_CONFIG
from tui_captions.asr.directory import CONFIG_FILE, WEIGHTS_FILE
from tui_captions.asr.engine import RunOptions
from tui_captions.asr.registry import engine_for
from tui_captions.asr.wav2vec2.engine import load_wav2vec2
from tui_captions.asr.wav2vec2.model import LogMelFrontEnd
from tui_captions.asr.wav2vec2.model_dir import LogMel, read_wav2vec2_config
from tui_captions.errors import ModelError


@pytest.fixture
def model_copy(wav2vec2_model_dir: Path, tmp_path: Path) -> Path:
    return copy_model(wav2vec2_model_dir, tmp_path)


def test_the_directory_format_picks_the_engine(wav2vec2_model_dir: Path) -> None:
    assert engine_for(wav2vec2_model_dir) is load_wav2vec2
    config = read_wav2vec2_config(wav2vec2_model_dir)
    assert config.labels == WAV2VEC2_LIBRISPEECH_CONFIG.labels
    assert (config.frame_samples, config.stream_format.chunk_samples) == (320, 16000)
    assert config.margin_frames == 25


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.update(version=2), "format version 2 is not supported"),
        (lambda b: b.update(labels=["-"]), "'labels' must be a list of at least two strings"),
        (lambda b: b.update(blank=29), "'blank' must be a label index below 29"),
        (lambda b: b.update(word_separator="#"), "'word_separator' '#' is not one of the labels"),
        (lambda b: b["model_kwargs"].update(aux_num_out=30), "aux_num_out is 30 but there are 29"),
        (lambda b: b.update(hop_seconds=0.33), "'hop_seconds' must be a positive multiple"),
        (lambda b: b.update(margin_seconds=1.5), "hop_seconds \\+ margin_seconds must not exceed"),
        (lambda b: b.update(front_end="mfcc"), "'front_end' must be 'waveform' or 'log-mel'"),
        (lambda b: b["decoder"].update(kind="viterbi"), "decoder.kind must be 'greedy' or 'beam'"),
        (lambda b: b["decoder"].update(beam_size=0), "decoder.beam_size must be a positive"),
    ],
)
def test_a_bad_config_field_is_named_with_the_file(
    model_copy: Path, change: Callable[[dict[str, Any]], object], message: str
) -> None:
    edit_config(model_copy, change)
    with pytest.raises(ModelError, match=message) as raised:
        read_wav2vec2_config(model_copy)
    assert str(model_copy / CONFIG_FILE) in str(raised.value)


def test_weights_of_another_architecture_are_named(model_copy: Path) -> None:
    torch.save({"aux.weight": torch.zeros(3, 3)}, model_copy / WEIGHTS_FILE)
    with pytest.raises(ModelError, match=r"model\.pt: weights do not match the architecture"):
        engine_for(model_copy)(model_copy, RunOptions(1, "none", "cpu"))


def test_the_log_mel_front_end_keeps_wav2vec2s_frame_contract() -> None:
    """Frame i starts at sample i * hop * stride, and the lengths it reports are true."""
    front = LogMelFrontEnd(16000, LogMel(stride=4), channels=16)
    waves = torch.randn(2, 64000)
    frames, counts = front(waves, torch.tensor([64000, 32000]))
    assert frames.shape == (2, 99, 16)
    assert counts is not None
    assert counts.tolist() == [99, front(waves[:1, :32000], None)[0].shape[1]]
